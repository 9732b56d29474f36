import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeJobCount,
  defaultEventRegistry,
  getEvent,
  inboxStats,
  type LedgerQueue,
  listEvents,
  parseEvent,
  receiveEvent,
  replayDead,
  replayEvent,
  STRIPE_EVENTS_QUEUE,
  startQueue,
  startWorker,
  waitForDrain,
} from '../src/index.ts';
import { customerObject, eventFactory } from '../src/testing/index.ts';

let db: TestDatabase;
let queue: LedgerQueue;
const f = eventFactory({ prefix: 'w' });
const T = 1_767_225_600;

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool, { retry: { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: true } });
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

async function deliver(e: ReturnType<typeof f.event>) {
  const env = parseEvent(e);
  if (!env.ok) throw env.error;
  return receiveEvent(db.pool, env.value, JSON.stringify(e));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker', () => {
  it('processes known types, ignores unknown ones, and runs extra registered handlers in the same transaction', async () => {
    const seen: string[] = [];
    const registry = defaultEventRegistry().on('customer.created', async ({ client, object }) => {
      const r = await client.query('select email from public.stripe_customers where id = $1', [object.id]);
      seen.push(r.rows[0].email);
    });
    const worker = startWorker({ pool: db.pool, queue, registry, idleMs: 50 });
    try {
      await deliver(f.event('customer.created', T, customerObject('cus_w1', 'one@example.test', 'One', T)));
      await deliver(f.event('balance.available', T, { object: 'balance', available: [] }));
      expect(await waitForDrain(db.pool, { timeoutMs: 20_000 })).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(seen).toEqual(['one@example.test']);
    const events = await listEvents(db.pool, { limit: 10 });
    expect(events.map((e) => e.status).sort()).toEqual(['ignored', 'processed']);
    const stats = await inboxStats(db.pool);
    expect(stats).toMatchObject({
      pending: 0,
      failed: 0,
      dead: 0,
      processed: 1,
      ignored: 1,
      oldestPendingAgeSeconds: null,
    });
  });

  it('a throwing handler is retried with backoff, then dead, then replayed successfully', async () => {
    let broken = true;
    const registry = defaultEventRegistry().on('customer.updated', async () => {
      if (broken) throw new Error('downstream unavailable');
    });
    const worker = startWorker({ pool: db.pool, queue, registry, idleMs: 50 });
    try {
      const e = f.event('customer.updated', T + 10, customerObject('cus_w1', 'new@example.test', 'One', T));
      await deliver(e);
      await waitFor(async () => (await getEvent(db.pool, e.id))?.status === 'dead');
      const dead = await getEvent(db.pool, e.id);
      expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastError: 'downstream unavailable' });
      // Nothing of the failed handler's transaction was kept.
      expect(
        (await db.pool.query(`select email from public.stripe_customers where id = 'cus_w1'`)).rows[0].email,
      ).toBe('one@example.test');
      expect((await listEvents(db.pool, { status: 'dead' })).map((x) => x.id)).toEqual([e.id]);
      expect((await inboxStats(db.pool)).dead).toBe(1);

      broken = false;
      expect(await replayDead(db.pool)).toEqual([e.id]);
      expect(await waitForDrain(db.pool, { timeoutMs: 20_000 })).toBe(true);
      expect((await getEvent(db.pool, e.id))?.status).toBe('processed');
      expect(
        (await db.pool.query(`select email from public.stripe_customers where id = 'cus_w1'`)).rows[0].email,
      ).toBe('new@example.test');
    } finally {
      await worker.stop();
    }
  });

  it('fetches more than a batch, processes a batch per transaction, and gives back what it has not started when stopped', async () => {
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const registry = defaultEventRegistry().on('customer.created', async () => {
      entered();
      await gate;
    });
    const events = [0, 1, 2].map((i) =>
      f.event('customer.created', T + 100 + i, customerObject(`cus_stop${i}`, `s${i}@example.test`, 'S', T)),
    );
    for (const e of events) await deliver(e);
    const waitingBefore = await queue.boss.getQueueSize(STRIPE_EVENTS_QUEUE);
    expect(waitingBefore).toBe(3);
    const batches: number[] = [];
    const worker = startWorker({
      pool: db.pool,
      queue,
      registry,
      concurrency: 1,
      batchSize: 1,
      fetchSize: 10,
      idleMs: 50,
      onBatch: (handled) => batches.push(handled),
    });
    await inside; // the first batch of the three fetched jobs is in its transaction
    expect(await activeJobCount(db.pool, STRIPE_EVENTS_QUEUE)).toBe(3);
    const stopped = worker.stop();
    open();
    await stopped;
    expect(batches).toEqual([1]);
    const statuses = (await listEvents(db.pool, { limit: 10 }))
      .filter((e) => events.some((x) => x.id === e.id))
      .map((e) => e.status)
      .sort();
    expect(statuses).toEqual(['pending', 'pending', 'processed']);
    // The two jobs it had not started are back on the queue, as new jobs with no retry used.
    expect(await activeJobCount(db.pool, STRIPE_EVENTS_QUEUE)).toBe(0);
    expect(await queue.boss.getQueueSize(STRIPE_EVENTS_QUEUE)).toBe(2);
    const worker2 = startWorker({ pool: db.pool, queue, registry, idleMs: 50 });
    try {
      expect(await waitForDrain(db.pool, { timeoutMs: 20_000 })).toBe(true);
    } finally {
      await worker2.stop();
    }
  });

  it('replaying an unknown id is a not_found result', async () => {
    const r = await replayEvent(db.pool, 'evt_missing');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('not_found');
  });
});
