import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { findRepoRoot } from '@org/db';

/**
 * How to type `org-reports` in the next steps a command prints, so they work as written in the
 * user's shell: `pnpm org-reports` when pnpm is installed, else the README's npx form
 * (`npx --yes pnpm@<version> org-reports`), since after the npx-only quick start there is no pnpm
 * on the PATH. Directories that only a running package manager puts on the PATH (npx's cache,
 * node_modules/.bin, pnpm's node-gyp-bin) do not count as installed.
 */
export function cliInvocation(
  env: Record<string, string | undefined>,
  options: { isExecutable?: (file: string) => boolean; pnpmVersion?: string } = {},
): string {
  const isExecutable = options.isExecutable ?? executable;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const installed = dirs.some(
    (dir) =>
      !/[\\/]_npx[\\/]|[\\/]node_modules[\\/]\.bin$|node-gyp-bin$/.test(dir) &&
      isExecutable(path.join(dir, 'pnpm')),
  );
  if (installed) return 'pnpm org-reports';
  const version =
    options.pnpmVersion ?? /^pnpm\/(\S+)/.exec(env.npm_config_user_agent ?? '')?.[1] ?? pinnedPnpm();
  return `npx --yes pnpm@${version} org-reports`;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The pnpm version the repository pins (package.json `packageManager`). */
function pinnedPnpm(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(findRepoRoot(), 'package.json'), 'utf8')) as {
      packageManager?: string;
    };
    return /^pnpm@([^+\s]+)/.exec(pkg.packageManager ?? '')?.[1] ?? 'latest';
  } catch {
    return 'latest';
  }
}
