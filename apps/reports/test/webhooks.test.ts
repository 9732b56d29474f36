import {
  defaultEventRegistry,
  parseEvent,
  processEvent,
  receiveEvent,
  recordFailure,
  startQueue,
} from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

let db: TestDatabase;
let env: Record<string, string>;
const f = eventFactory({ prefix: 'cli' });
const T = 1_767_225_600;
const ok = f.event('customer.created', T, customerObject('cus_cli1', 'a@example.test', 'A', T));
const bad = f.event('customer.created', T + 1, customerObject('cus_cli2', 'b@example.test', 'B', T));

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
  const queue = await startQueue(db.pool);
  await queue.stop();
  for (const e of [ok, bad]) {
    const p = parseEvent(e);
    if (!p.ok) throw p.error;
    await receiveEvent(db.pool, p.value, JSON.stringify(e));
  }
  await processEvent(db.pool, ok.id, { registry: defaultEventRegistry() });
  await recordFailure(db.pool, bad.id, new Error('boom'), true);
});
afterAll(() => db?.drop());

describe('org-reports webhooks', () => {
  it('list shows statuses and filters by status', async () => {
    const all = await runCli(['webhooks', 'list', '--json'], env);
    expect(all.code).toBe(0);
    const json = JSON.parse(all.stdout);
    expect(json.stats).toMatchObject({ processed: 1, dead: 1, total: 2 });
    expect(json.events.map((e: { id: string }) => e.id).sort()).toEqual([ok.id, bad.id].sort());
    const dead = JSON.parse((await runCli(['webhooks', 'list', '--status', 'dead', '--json'], env)).stdout);
    expect(dead.events).toHaveLength(1);
    expect(dead.events[0]).toMatchObject({ id: bad.id, status: 'dead', lastError: 'boom' });
    const human = await runCli(['webhooks', 'list'], env);
    expect(human.stdout).toContain(bad.id);
    expect((await runCli(['webhooks', 'list', '--status', 'zombie'], env)).code).toBe(64);
  });

  it('show prints the payload; unknown ids exit 65', async () => {
    const r = await runCli(['webhooks', 'show', bad.id, '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      id: bad.id,
      status: 'dead',
      payload: { id: bad.id, type: 'customer.created' },
    });
    expect((await runCli(['webhooks', 'show', 'evt_nope'], env)).code).toBe(65);
  });

  it('replay <id> and replay --dead put events back on the queue', async () => {
    const one = await runCli(['webhooks', 'replay', bad.id, '--json'], env);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ replayed: [bad.id] });
    expect(
      (await db.pool.query('select status from public.stripe_events where id = $1', [bad.id])).rows[0].status,
    ).toBe('pending');
    await recordFailure(db.pool, bad.id, new Error('boom again'), true);
    const all = await runCli(['webhooks', 'replay', '--dead', '--json'], env);
    expect(JSON.parse(all.stdout)).toEqual({ replayed: [bad.id] });
    const jobs = await db.pool.query(
      `select count(*)::int as n from pgboss.job where data->>'eventId' = $1`,
      [bad.id],
    );
    expect(jobs.rows[0].n).toBe(3);
    expect((await runCli(['webhooks', 'replay'], env)).code).toBe(64);
    expect((await runCli(['webhooks', 'replay', 'evt_nope'], env)).code).toBe(65);
  });
});
