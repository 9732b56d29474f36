import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The CLI as users and CI jobs run it: the built bundle through the `org-reports` bin that the
 * root's dependency on @org/reports links (what `pnpm org-reports` runs), its --json output piped
 * into another program that parses it.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(root, 'node_modules', '.bin', 'org-reports');
const parse = `node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(typeof j)'`;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

function sh(script: string, env: Record<string, string> = {}) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** pnpm as the test was started with (turbo -> pnpm run test), or on the PATH. */
function pnpm(): string | null {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/.test(path.basename(exec))) return `node ${JSON.stringify(exec)}`;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, 'pnpm'), constants.X_OK);
      return 'pnpm';
    } catch {}
  }
  return null;
}

describe('the org-reports bin', () => {
  it('--json output of the built CLI pipes into a JSON parser', () => {
    const env = { DATABASE_URL: db.url };
    for (const command of ['db status --json', 'keys list --json', 'fx list --json']) {
      const r = sh(`${JSON.stringify(bin)} ${command} | ${parse}`, env);
      expect(r.stderr.replace(/^org-reports: building the CLI.*\n/m, '')).toBe('');
      expect(r, command).toMatchObject({ code: 0, stdout: 'object\n' });
    }
  });

  it('runs through `pnpm org-reports` with nothing but the command’s output on stdout', () => {
    const runner = pnpm();
    // CI installs pnpm with npx; the test runs under it (npm_execpath), so this branch always runs there.
    expect(runner, 'pnpm is reachable from the test').not.toBeNull();
    const r = sh(`${runner} org-reports db status --json | ${parse}`, {
      DATABASE_URL: db.url,
      PNPM_CONFIG_PM_ON_FAIL: 'ignore',
    });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'object\n' });
  });

  it('exits with the command’s exit code and prints help without a database', () => {
    expect(sh(`${JSON.stringify(bin)} --help`)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Usage: org-reports'),
    });
    const bad = sh(`${JSON.stringify(bin)} cohorts show --cohorts -1`, { DATABASE_URL: db.url });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--cohorts must be an integer');
  });
});
