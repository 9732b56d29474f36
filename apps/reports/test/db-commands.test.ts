import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEmbeddedServer, stopEmbeddedServer } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(undefined, { empty: true });
});
afterAll(() => db.drop());

describe('org-reports migrate and db status', () => {
  it('applies every migration once, then reports them applied with none pending', async () => {
    const env = { DATABASE_URL: db.url };
    const first = await runCli(['migrate', '--json'], env);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.bootstrapped).toBe(true);
    expect(result.applied.length).toBeGreaterThan(0);

    const again = await runCli(['migrate'], env);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Schema up to date/) });

    const status = await runCli(['db', 'status', '--json'], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ source: 'database_url', database: db.name, pending: [], drifted: [] });
    expect(s.applied.map((a: { name: string }) => a.name)).toEqual(
      result.applied.map((a: { name: string }) => a.name),
    );
    expect(s.version).toMatch(/^\d+/);
  });
});

describe('org-reports errors and exit codes', () => {
  it('answers an unknown command or flag with usage and exit 64', async () => {
    expect(await runCli(['nope'], {})).toMatchObject({
      code: 64,
      stderr: expect.stringContaining("unknown command 'nope'"),
    });
    expect(await runCli(['db', 'status', '--bogus'], {})).toMatchObject({
      code: 64,
      stderr: expect.stringContaining("unknown option '--bogus'"),
    });
  });

  it('prints help with exit 0', async () => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'db', 'demo']) expect(help.stdout).toContain(command);
  });

  it('rejects an invalid DATABASE_URL with the variable named and exit 78', async () => {
    const r = await runCli(['db', 'status'], { DATABASE_URL: 'mysql://root@localhost/x' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('DATABASE_URL: must be a URL like postgres://');
  });

  it('reports an unreachable server with exit 69', async () => {
    const r = await runCli(['db', 'status'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('Cannot reach Postgres at 127.0.0.1:1/postgres');
  });
});

describe('org-reports db stop', () => {
  it('stops the embedded server of its data folder and keeps the data', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'org-cli-'));
    chmodSync(dir, 0o755);
    try {
      const server = await ensureEmbeddedServer({ dataDir: dir });
      const stop = await runCli(['db', 'stop', '--json'], { ORG_DATA_DIR: dir });
      expect(stop.code).toBe(0);
      expect(JSON.parse(stop.stdout)).toEqual({ stopped: true, port: server.port });
      const twice = await runCli(['db', 'stop'], { ORG_DATA_DIR: dir });
      expect(twice).toMatchObject({ code: 0, stdout: 'The embedded server was not running.\n' });
    } finally {
      await stopEmbeddedServer(dir).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
