import {
  defaultEventRegistry,
  type LedgerQueue,
  startQueue,
  startWorker,
  type Worker,
  waitForDrain,
} from '@org/billing-ledger';
import {
  canonicalDump,
  type StripeEvent,
  seededRandom,
  shuffle,
  simulateStripeEvents,
} from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { postSigned, startApp } from './support/server.ts';

const events = simulateStripeEvents({
  seed: 33,
  customers: 80,
  start: Date.UTC(2026, 0, 1) / 1000,
  days: 200,
}).slice(0, 1000);
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function deliver(
  deliveries: StripeEvent[],
  concurrency: number,
  workerConcurrency: number,
): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const queue: LedgerQueue = await startQueue(db.pool);
  const app = await startApp(db.pool);
  const worker: Worker = startWorker({
    pool: db.pool,
    queue,
    registry: defaultEventRegistry(),
    concurrency: workerConcurrency,
    batchSize: 25,
    idleMs: 50,
  });
  cleanup.push(async () => {
    await app.close();
    await worker.stop();
    await queue.stop();
    await db.drop();
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const e = deliveries[next++]!;
        const r = await postSigned(app.url, e);
        if (r.status !== 200) throw new Error(`${e.id}: ${r.status}`);
      }
    }),
  );
  // A hang guard: on a loaded 2-core machine the 3,000 deliveries and their drain took 100-170 s.
  if (!(await waitForDrain(db.pool, { timeoutMs: 400_000 }))) throw new Error('did not drain');
  return db;
}

describe('redelivery', () => {
  it('1,000 events delivered 3x each in shuffled order end identical to one ordered delivery', async () => {
    expect(events).toHaveLength(1000);
    const ordered = await deliver(events, 1, 1);
    const messy = await deliver(shuffle([...events, ...events, ...events], seededRandom(99)), 12, 3);
    const counts = await messy.pool.query(
      `select count(*)::int as n, count(*) filter (where status = 'processed')::int as processed from public.stripe_events`,
    );
    expect(counts.rows[0]).toEqual({ n: 1000, processed: 1000 });
    expect(await canonicalDump(messy.pool)).toBe(await canonicalDump(ordered.pool));
  }, 600_000);
});
