#!/usr/bin/env node
// The org-reports command: runs the bundled CLI with plain node. After an edit to a source it was
// built from, it rebuilds the bundle first (once), so `pnpm org-reports` never runs stale code.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../scripts/build.mjs';

await import(pathToFileURL(await ensureBuilt()).href);
