import { projectConfig } from '../../tooling/vitest/shared.ts';

// The e2e file builds the app and drives real Chromium: allow it the time.
export default projectConfig({ database: true, testTimeout: 180_000 });
