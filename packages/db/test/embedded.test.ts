import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DbError,
  embeddedServerStatus,
  ensureEmbeddedServer,
  findRepoRoot,
  openDatabase,
  stopEmbeddedServer,
} from '../src/index.ts';

const run = promisify(execFile);
const tsx = path.join(findRepoRoot(), 'node_modules', '.bin', 'tsx');
const starter = path.join(import.meta.dirname, 'support', 'start-embedded.ts');

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'org-embedded-'));
  chmodSync(dir, 0o755); // the server runs as an unprivileged account when the tests run as root
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) {
    await stopEmbeddedServer(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

async function startInChild(dir: string) {
  const { stdout } = await run(tsx, ['--conditions=@org/source', starter, dir]);
  return JSON.parse(stdout) as { port: number; pid: number; started: boolean };
}

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

// Each test initialises and starts real clusters (three processes at once in the race); with every
// package's tests running beside them on a small CI machine that alone has taken over 30 s.
describe('embedded server', { timeout: 120_000 }, () => {
  it('starts once, is reused by another process, stops cleanly and restarts with its data', async () => {
    const dir = dataDir();
    const first = await ensureEmbeddedServer({ dataDir: dir });
    expect(first.started).toBe(true);
    expect(embeddedServerStatus(dir)).toMatchObject({ running: true, port: first.port, pid: first.pid });

    const fromChild = await startInChild(dir);
    expect(fromChild).toEqual({ port: first.port, pid: first.pid, started: false });

    await query(first.url, "create table kept (v text); insert into kept values ('survives restart')");
    expect(await stopEmbeddedServer(dir)).toEqual({ stopped: true });
    expect(embeddedServerStatus(dir).running).toBe(false);
    await expect(query(first.url, 'select 1')).rejects.toThrow();

    const again = await ensureEmbeddedServer({ dataDir: dir });
    expect(again.started).toBe(true);
    expect(await query(again.url, 'select v from kept')).toEqual([{ v: 'survives restart' }]);
    expect(await stopEmbeddedServer(dir)).toEqual({ stopped: true });
    expect(await stopEmbeddedServer(dir)).toEqual({ stopped: false });
  });

  it('lets concurrent processes race to start it: exactly one starts, all share it', async () => {
    const dir = dataDir();
    const results = await Promise.all([startInChild(dir), startInChild(dir), startInChild(dir)]);
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    await stopEmbeddedServer(dir);
  });

  it('as root, names the folder the server account cannot reach instead of a bare EACCES', async () => {
    const closed = mkdtempSync(path.join(os.tmpdir(), 'org-embedded-closed-')); // mode 0700
    dirs.push(closed);
    const inside = path.join(closed, 'data');
    const result = await ensureEmbeddedServer({ dataDir: inside }).catch((e: unknown) => e);
    if (process.getuid?.() === 0) {
      expect(result).toBeInstanceOf(DbError);
      expect((result as DbError).message).toContain(`cannot reach the data folder at ${inside}`);
      expect((result as DbError).message).toContain('chmod o+x');
    } else {
      // Not root: the server runs as this user, who owns the folder.
      expect(result).toMatchObject({ started: true });
    }
  });

  it('names a fixed port that is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const error = await ensureEmbeddedServer({ dataDir: dataDir(), port }).catch((e) => e);
      expect(error).toBeInstanceOf(DbError);
      expect(error.code).toBe('port_in_use');
      expect(error.message).toContain(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a data folder that is not a Postgres cluster, and a cluster without its credentials', async () => {
    const junk = dataDir();
    mkdirSync(path.join(junk, 'postgres'));
    writeFileSync(path.join(junk, 'postgres', 'notes.txt'), 'not a database');
    await expect(ensureEmbeddedServer({ dataDir: junk })).rejects.toMatchObject({
      code: 'data_dir_corrupt',
      message: expect.stringContaining('no PG_VERSION'),
    });

    const orphan = dataDir();
    await ensureEmbeddedServer({ dataDir: orphan });
    await stopEmbeddedServer(orphan);
    rmSync(path.join(orphan, 'postgres.json'));
    await expect(ensureEmbeddedServer({ dataDir: orphan })).rejects.toMatchObject({
      code: 'data_dir_corrupt',
    });
  });

  it('reports a damaged cluster with the fix instead of a stack trace', async () => {
    const dir = dataDir();
    await ensureEmbeddedServer({ dataDir: dir });
    await stopEmbeddedServer(dir);
    writeFileSync(path.join(dir, 'postgres', 'global', 'pg_control'), Buffer.alloc(8192, 7));
    const error = await ensureEmbeddedServer({ dataDir: dir }).catch((e) => e);
    expect(error).toBeInstanceOf(DbError);
    expect(error.code).toBe('data_dir_corrupt');
    expect(error.message).toContain('rm -rf');
  });

  it('waits for a live lock holder, then reports the lock', async () => {
    const dir = dataDir();
    // The lock names a live process (this one) that never releases it.
    writeFileSync(path.join(dir, 'postgres.lock'), String(process.pid));
    const error = await ensureEmbeddedServer({ dataDir: dir, lockTimeoutMs: 300 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'data_dir_locked' });
    expect(error.message).toContain(`process ${process.pid}`);
    rmSync(path.join(dir, 'postgres.lock'));
  });
});

describe('DATABASE_URL', () => {
  it('rejects a URL that is not postgres://', async () => {
    await expect(openDatabase({ DATABASE_URL: 'mysql://root@localhost/db' })).rejects.toMatchObject({
      code: 'invalid_database_url',
    });
  });

  it('explains an unreachable server and how to fix it', async () => {
    const error = await openDatabase({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'server_unreachable' });
    expect(error.message).toMatch(
      /Cannot reach Postgres at 127\.0\.0\.1:1\/postgres \(ECONNREFUSED\)\. Start that server, fix DATABASE_URL/,
    );
  });
});
