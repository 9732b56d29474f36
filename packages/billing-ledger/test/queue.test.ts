import { withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent, type LedgerQueue, parseEvent, STRIPE_EVENTS_QUEUE, startQueue } from '../src/index.ts';
import { customerObject, eventFactory } from '../src/testing/index.ts';

let db: TestDatabase;
let queue: LedgerQueue;
const f = eventFactory({ prefix: 'q' });

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool);
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

const jobsFor = async (eventId: string) =>
  (
    await db.pool.query(
      `select count(*)::int as n from pgboss.job where name = $1 and data->>'eventId' = $2`,
      [STRIPE_EVENTS_QUEUE, eventId],
    )
  ).rows[0].n as number;

describe('transactional enqueue', () => {
  it('a rolled-back inbox insert leaves no job; a committed one leaves exactly one', async () => {
    const e = f.event(
      'customer.created',
      1_767_225_600,
      customerObject('cus_q1', 'a@example.test', 'A', 1_767_225_600),
    );
    const env = parseEvent(e);
    if (!env.ok) throw env.error;
    await expect(
      withTransaction(db.pool, async (client) => {
        const r = await insertEvent(client, env.value, JSON.stringify(e));
        expect(r.inserted).toBe(true);
        // Inside the transaction the job exists...
        const inside = await client.query(
          `select count(*)::int as n from pgboss.job where data->>'eventId' = $1`,
          [e.id],
        );
        expect(inside.rows[0].n).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // ...and after the rollback neither the event nor the job does.
    expect(
      (await db.pool.query('select count(*)::int as n from public.stripe_events where id = $1', [e.id]))
        .rows[0].n,
    ).toBe(0);
    expect(await jobsFor(e.id)).toBe(0);

    await withTransaction(db.pool, (client) => insertEvent(client, env.value, JSON.stringify(e)));
    expect(await jobsFor(e.id)).toBe(1);
    // A duplicate delivery inserts nothing and enqueues nothing.
    const again = await withTransaction(db.pool, (client) =>
      insertEvent(client, env.value, JSON.stringify(e)),
    );
    expect(again.inserted).toBe(false);
    expect(await jobsFor(e.id)).toBe(1);
  });

  it('the queue has the configured retry policy with backoff', async () => {
    const q = await queue.boss.getQueue(STRIPE_EVENTS_QUEUE);
    expect(q).toMatchObject({ retryLimit: 5, retryDelay: 2, retryBackoff: true });
  });
});
