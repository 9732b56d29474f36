import {
  defaultEventRegistry,
  type LedgerQueue,
  STRIPE_EVENTS_QUEUE,
  startQueue,
  startWorker,
  waitForDrain,
} from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, startApp } from './support/server.ts';

/**
 * The first signed event after the migrations, before any process started the queue (a
 * deployment whose worker runs elsewhere, or starts later): the queue's schema and the ledger's
 * queues come with the migrations, so it is acknowledged and its job waits for a worker.
 */
let db: TestDatabase;
let app: Awaited<ReturnType<typeof startApp>>;
let queue: LedgerQueue | undefined;
const f = eventFactory({ prefix: 'first' });
const T = 1_767_225_600;

beforeAll(async () => {
  db = await createTestDatabase(); // migrated, nothing else
  app = await startApp(db.pool);
});
afterAll(async () => {
  await app?.close();
  await queue?.stop();
  await db?.drop();
});

describe('the first signed Stripe event on a migrated database', () => {
  it('is acknowledged with its job queued, and a worker started afterwards processes it', async () => {
    const e = f.event('customer.created', T, customerObject('cus_first', 'first@example.test', 'F', T));
    expect(await postSigned(app.url, e)).toEqual({
      status: 200,
      body: { received: true, id: e.id, duplicate: false },
    });
    const row = await db.pool.query('select status, job_id from public.stripe_events where id = $1', [e.id]);
    expect(row.rows[0].status).toBe('pending');

    queue = await startQueue(db.pool);
    const job = await queue.boss.getJobById(STRIPE_EVENTS_QUEUE, row.rows[0].job_id);
    expect(job).toMatchObject({ state: 'created', data: { eventId: e.id } });
    const worker = startWorker({ pool: db.pool, queue, registry: defaultEventRegistry(), idleMs: 50 });
    try {
      expect(await waitForDrain(db.pool, { timeoutMs: 60_000 })).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(
      (await db.pool.query('select status from public.stripe_events where id = $1', [e.id])).rows,
    ).toEqual([{ status: 'processed' }]);
    expect((await queue.boss.getJobById(STRIPE_EVENTS_QUEUE, row.rows[0].job_id))?.state).toBe('completed');
  });
});
