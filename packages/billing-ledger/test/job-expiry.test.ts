import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPIRE_CHECK_SECONDS,
  defaultEventRegistry,
  defaultRetryPolicy,
  type LedgerQueue,
  parseEvent,
  receiveEvent,
  STRIPE_EVENTS_QUEUE,
  startQueue,
  startWorker,
} from '../src/index.ts';
import { customerObject, eventFactory, simulateStripeEvents } from '../src/testing/index.ts';

/**
 * Jobs held by a killed worker come back within a minute with the package's defaults (no test
 * shortcuts: no shortened expiry, no manual `expire()`), and a live worker's long batch is never
 * expired under it.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, '..');
const children: ChildProcess[] = [];
let killDb: TestDatabase;
let longDb: TestDatabase;
let holdDb: TestDatabase;
const queues: LedgerQueue[] = [];

beforeAll(async () => {
  [killDb, longDb, holdDb] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
  ]);
  await killDb.pool.query('create table test_effects (event_id text not null, pid integer not null)');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const q of queues) await q.stop();
  await Promise.all([killDb?.drop(), longDb?.drop(), holdDb?.drop()]);
});

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnWorker(url: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@org/source', path.join(here, 'support/worker-child.ts')],
    {
      cwd: packageDir,
      // The package's defaults: EXPIRE_SECONDS and MAINTENANCE_SECONDS unset.
      env: { ...process.env, DATABASE_URL: url, SLOW_MS: '5' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

describe('a worker killed with SIGKILL mid-batch', () => {
  it('has its jobs retried by the surviving processes, each event applied once', async () => {
    const db = killDb;
    const count = async (sql: string) => (await db.pool.query(sql)).rows[0].n as number;
    const events = simulateStripeEvents({
      seed: 5,
      customers: 30,
      start: Date.UTC(2026, 0, 1) / 1000,
      days: 120,
    });
    queues.push(await startQueue(db.pool)); // the webhook app's queue: defaults
    for (const e of events) {
      const p = parseEvent(e);
      if (!p.ok) throw p.error;
      await receiveEvent(db.pool, p.value, JSON.stringify(e));
    }

    const first = await spawnWorker(db.url);
    await until(
      async () =>
        (await count(`select count(*)::int as n from public.stripe_events where status <> 'pending'`)) >=
          60 &&
        (await count(
          `select count(*)::int as n from pgboss.job where name = 'stripe-events' and state = 'active'`,
        )) > 0,
      60_000,
      'the first worker to hold a batch',
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const held = (
      await db.pool.query<{ id: string; expire: number; delay: number }>(
        `select id, extract(epoch from expire_in)::int as expire, retry_delay as delay
         from pgboss.job where name = 'stripe-events' and state = 'active'`,
      )
    ).rows;
    expect(held.length).toBeGreaterThan(0); // the killed worker held jobs

    // The bound, from what the held jobs carry: expiry after the fetch, the next expiry
    // check, the first retry's backoff (at most twice the delay), all within a minute.
    for (const job of held) {
      expect(job.expire).toBe(defaultRetryPolicy.expireInSeconds);
      expect(job.expire + DEFAULT_EXPIRE_CHECK_SECONDS + 2 * job.delay).toBeLessThanOrEqual(60);
    }

    await spawnWorker(db.url);
    // A hang guard, not a speed check: the old 300 s expiry would trip it.
    await until(
      async () =>
        (await count(
          `select count(*)::int as n from public.stripe_events where status in ('pending', 'failed')`,
        )) === 0,
      170_000,
      'every event to be processed',
    );
    expect(
      await count(`select count(*)::int as n from public.stripe_events where status = 'processed'`),
    ).toBe(events.length);
    expect(
      await count(
        `select count(*)::int as n from (select event_id from test_effects group by event_id having count(*) <> 1) x`,
      ),
    ).toBe(0);
    expect(await count('select count(distinct event_id)::int as n from test_effects')).toBe(events.length);
    // The held jobs came back through expiry (one retry counted), not through anything else.
    const retried = await db.pool.query<{ retry_count: number; state: string }>(
      `select retry_count, state::text from pgboss.job where name = 'stripe-events' and id = any($1::uuid[])`,
      [held.map((j) => j.id)],
    );
    expect(retried.rows.length).toBe(held.length);
    for (const r of retried.rows) expect(r).toEqual({ retry_count: 1, state: 'completed' });
  }, 240_000);
});

describe('a live worker processing one long batch', () => {
  it('keeps its job past its expiry while the event is processed: no retry, one effect', async () => {
    const db = longDb;
    const queue = await startQueue(db.pool, {
      retry: { expireInSeconds: 4, retryDelaySeconds: 1 },
      maintenanceIntervalSeconds: 1,
      expireCheckIntervalSeconds: 1,
    });
    queues.push(queue);
    await db.pool.query('create table test_effects (event_id text not null)');
    const f = eventFactory({ prefix: 'long' });
    const e = f.event(
      'customer.created',
      1_767_225_600,
      customerObject('cus_long', 'l@example.test', 'L', 1),
    );
    const p = parseEvent(e);
    if (!p.ok) throw p.error;
    await receiveEvent(db.pool, p.value, JSON.stringify(e));
    // A handler that takes three expiry periods (a slow re-fetch from Stripe, say): the event's
    // transaction completed the job first, so pg-boss's expiry waits for it and then finds the
    // job completed.
    const registry = defaultEventRegistry().on('*', async ({ client, event }) => {
      await client.query('select pg_sleep(12)');
      await client.query('insert into test_effects (event_id) values ($1)', [event.id]);
    });
    const worker = startWorker({
      pool: db.pool,
      queue,
      registry,
      concurrency: 1,
      batchSize: 1,
    });
    try {
      await until(
        async () =>
          (await db.pool.query(`select status from public.stripe_events where id = $1`, [e.id])).rows[0]
            .status === 'processed',
        120_000,
        'the long event to be processed',
      );
    } finally {
      await worker.stop();
    }
    const job = await db.pool.query<{ retry_count: number; state: string }>(
      `select retry_count, state::text from pgboss.job where name = $1`,
      [STRIPE_EVENTS_QUEUE],
    );
    expect(job.rows).toEqual([{ retry_count: 0, state: 'completed' }]);
    expect((await db.pool.query('select count(*)::int as n from test_effects')).rows[0].n).toBe(1);
  }, 180_000);
});

describe('a live worker processing fetched events one by one, slowly', () => {
  it('gives the jobs it has not started back before they expire: no retry, one effect each', async () => {
    const db = holdDb;
    const expireInSeconds = 6;
    const queue = await startQueue(db.pool, {
      retry: { expireInSeconds, retryDelaySeconds: 1 },
      maintenanceIntervalSeconds: 1,
      expireCheckIntervalSeconds: 1,
    });
    queues.push(queue);
    await db.pool.query('create table test_effects (event_id text not null)');
    const f = eventFactory({ prefix: 'hold' });
    const events = Array.from({ length: 5 }, (_, i) =>
      f.event(
        'customer.created',
        1_767_225_600 + i,
        customerObject(`cus_hold${i}`, `h${i}@example.test`, 'H', 1),
      ),
    );
    for (const e of events) {
      const p = parseEvent(e);
      if (!p.ok) throw p.error;
      await receiveEvent(db.pool, p.value, JSON.stringify(e));
    }
    // Re-fetching from Stripe processes events one by one (inside each event's transaction): each
    // takes a third of the expiry, so the fifth would start after the expiry of a batch of five.
    const registry = defaultEventRegistry().on('*', async ({ client, event }) => {
      await client.query('insert into test_effects (event_id) values ($1)', [event.id]);
    });
    const worker = startWorker({
      pool: db.pool,
      queue,
      registry,
      concurrency: 1,
      batchSize: events.length,
      fetchObject: async () => {
        await new Promise((r) => setTimeout(r, (expireInSeconds * 1000) / 3));
        return null; // use the payload
      },
    });
    try {
      await until(
        async () =>
          (
            await db.pool.query(
              `select count(*)::int as n from public.stripe_events where status in ('pending', 'failed')`,
            )
          ).rows[0].n === 0,
        120_000,
        'every event to be processed',
      );
    } finally {
      await worker.stop();
    }
    const jobs = await db.pool.query<{ state: string; retry_count: number }>(
      `select state::text, retry_count from pgboss.job where name = $1`,
      [STRIPE_EVENTS_QUEUE],
    );
    // None was retried (expired under the worker); some went back to the queue (sent again:
    // more jobs than events).
    for (const j of jobs.rows) expect(j).toEqual({ state: 'completed', retry_count: 0 });
    expect(jobs.rows.length).toBeGreaterThan(events.length);
    const effects = await db.pool.query(
      'select event_id, count(*)::int as n from test_effects group by event_id',
    );
    expect(effects.rows.length).toBe(events.length);
    for (const r of effects.rows) expect(r.n).toBe(1);
  }, 180_000);
});
