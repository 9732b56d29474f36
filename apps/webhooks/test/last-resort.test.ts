import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appDir } from './support/app-process.ts';

/** The app entry's last resort: log, drain, exit non-zero (so a supervisor restarts the process). */
function run(mode: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(appDir, 'test/support/last-resort-child.ts'), mode],
    { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } },
  );
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('last-resort handler', () => {
  it('logs an uncaught exception, drains, exits 1', async () => {
    const { code, output } = await run('exception');
    expect(code).toBe(1);
    expect(output).toMatch(/fatal: uncaught exception, draining.*nobody catches this exception/);
    expect(output).toContain('drained');
  });

  it('logs an unhandled rejection, drains, exits 1', async () => {
    const { code, output } = await run('rejection');
    expect(code).toBe(1);
    expect(output).toMatch(/fatal: unhandled rejection, draining.*nobody handles this rejection/);
    expect(output).toContain('drained');
  });

  it('exits 1 when draining does not finish in time', async () => {
    const { code, output } = await run('stuck');
    expect(code).toBe(1);
    expect(output).toContain('drain did not finish within 300 ms');
  });
});
