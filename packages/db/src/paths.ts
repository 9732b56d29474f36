import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: the nearest directory holding pnpm-workspace.yaml, from this module or the cwd. */
export function findRepoRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (const origin of [start, process.cwd()]) {
    let dir = origin;
    for (;;) {
      if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return process.cwd();
}

export function defaultDataDir(): string {
  return path.join(findRepoRoot(), '.data');
}

export function defaultMigrationsDir(): string {
  return path.join(findRepoRoot(), 'supabase', 'migrations');
}

export function bootstrapSqlPath(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'sql', 'supabase-bootstrap.sql');
}
