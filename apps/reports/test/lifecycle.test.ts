import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProductFixture } from './product-fixture.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
let loops: Server;
const received: { key: string | undefined; body: { eventName: string } }[] = [];
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadProductFixture(db.pool);
  // A local server speaking the Loops events API.
  loops = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    received.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
  });
  await new Promise<void>((r) => loops.listen(0, '127.0.0.1', r));
  env = {
    DATABASE_URL: db.url,
    EMAIL_PROVIDER: 'loops',
    LOOPS_API_KEY: 'loops_test',
    LOOPS_API_BASE_URL: `http://127.0.0.1:${(loops.address() as AddressInfo).port}`,
  };
});
afterAll(async () => {
  await new Promise((r) => loops.close(r));
  await db.drop();
});

describe('org-reports lifecycle', () => {
  it('plans in a dry run, then records transitions and delivers provider events once', async () => {
    const dry = await runCli(['lifecycle', 'run', '--as-of', '2026-03-16', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(planned).toMatchObject({
      dryRun: true,
      evaluated: { user: 3, account: 3 },
      recorded: 0,
      enqueued: 0,
      delivery: null,
    });
    expect(received).toHaveLength(0);

    const run = await runCli(['lifecycle', 'run', '--as-of', '2026-03-16', '--json'], env);
    const result = JSON.parse(run.stdout);
    expect(result.transitions).toEqual(planned.transitions);
    expect(result.recorded).toBe(6);
    expect(result.delivery).toEqual({ sent: result.enqueued, retried: 0, dead: 0 });
    expect(received.length).toBe(result.enqueued);
    expect(new Set(received.map((r) => r.key)).size).toBe(received.length);

    const rerun = await runCli(['lifecycle', 'run', '--as-of', '2026-03-16', '--json'], env);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ recorded: 0, enqueued: 0 });
    expect(received.length).toBe(result.enqueued);
  });

  it('shows the lifecycle series and stage distribution', async () => {
    const show = await runCli(['lifecycle', 'show', '--as-of', '2026-03-16', '--periods', '2', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).series).toEqual([
      { period: '2026-03-02', new: 2, returning: 0, resurrecting: 0, dormant: 0 },
      { period: '2026-03-09', new: 1, returning: 1, resurrecting: 0, dormant: 1 },
    ]);
  });

  it('needs the provider key it is configured for', async () => {
    const run = await runCli(['lifecycle', 'run', '--dry-run'], {
      DATABASE_URL: db.url,
      EMAIL_PROVIDER: 'kit',
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('KIT_API_KEY');
  });
});
