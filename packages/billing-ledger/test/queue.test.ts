import { withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertEvent,
  type LedgerQueue,
  parseEvent,
  receiveEvent,
  STRIPE_EVENTS_QUEUE,
  startQueue,
} from '../src/index.ts';
import { claimJobs, completeJobsSql } from '../src/queue.ts';
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

  it('receiveEvent writes the inbox row and a job identical to pg-boss send in one statement', async () => {
    const e = f.event(
      'customer.created',
      1_767_225_700,
      customerObject('cus_q2', 'b@example.test', 'B', 1_767_225_700),
    );
    const env = parseEvent(e);
    if (!env.ok) throw env.error;
    expect(await receiveEvent(db.pool, env.value, JSON.stringify(e))).toEqual({ inserted: true });
    expect(await receiveEvent(db.pool, env.value, JSON.stringify(e))).toEqual({ inserted: false });
    const viaBoss = await queue.boss.send(STRIPE_EVENTS_QUEUE, { eventId: 'evt_reference' });
    const cols = `name, state, priority, retry_limit, retry_count, retry_delay, retry_backoff, expire_in, dead_letter, policy, keep_until - start_after as keep`;
    const ours = await db.pool.query(`select ${cols}, data from pgboss.job where data->>'eventId' = $1`, [
      e.id,
    ]);
    const ref = await db.pool.query(`select ${cols} from pgboss.job where id = $1`, [viaBoss]);
    expect(ours.rows).toHaveLength(1);
    const { data, ...rest } = ours.rows[0];
    expect(rest).toEqual(ref.rows[0]);
    expect(data).toEqual({ eventId: e.id, scope: 'cus_q2' });
    const row = await db.pool.query('select job_id from public.stripe_events where id = $1', [e.id]);
    expect(row.rows[0].job_id).toBeTruthy();
  });

  it('without the queue, receiveEvent fails and writes nothing', async () => {
    const other = await createTestDatabase();
    try {
      const e = f.event(
        'customer.created',
        1_767_225_800,
        customerObject('cus_q3', 'c@example.test', 'C', 1_767_225_800),
      );
      const env = parseEvent(e);
      if (!env.ok) throw env.error;
      await expect(receiveEvent(other.pool, env.value, JSON.stringify(e))).rejects.toThrow();
      expect((await other.pool.query('select count(*)::int as n from public.stripe_events')).rows[0].n).toBe(
        0,
      );
    } finally {
      await other.drop();
    }
  });

  it('the queue has the configured retry policy with backoff', async () => {
    const q = await queue.boss.getQueue(STRIPE_EVENTS_QUEUE);
    expect(q).toMatchObject({ retryLimit: 5, retryDelay: 2, retryBackoff: true });
  });
});

describe('claiming jobs', () => {
  it('claims available jobs once each, oldest availability first, and counts a claim after a failure as a retry', async () => {
    const name = 'claim-test';
    await queue.ensureQueue(name, { retryLimit: 3, retryDelaySeconds: 0, retryBackoff: false });
    // Not available for a minute: however slow the machine, it is not claimed early.
    const later = await queue.boss.send(name, { n: 'later' }, { startAfter: 60 });
    const first = await queue.boss.send(name, { n: 'first' });
    const second = await queue.boss.send(name, { n: 'second' });
    // Not yet available: never claimed early. (Within one claim the order is not defined.)
    const a = await claimJobs<{ n: string }>(db.pool, name, 5);
    expect(a.map((j) => j.data.n).sort()).toEqual(['first', 'second']);
    expect(a.every((j) => j.retryCount === 0 && j.retryLimit === 3)).toBe(true);
    // Claimed jobs are pg-boss active jobs, and are not handed out twice.
    expect((await queue.boss.getJobById(name, first!))?.state).toBe('active');
    expect(await claimJobs(db.pool, name, 5)).toEqual([]);
    // A failed job comes back as a retry; completing in SQL is pg-boss's completion.
    await queue.boss.fail(name, first!, { message: 'boom' });
    await db.pool.query(completeJobsSql(), [name, [second]]);
    expect((await queue.boss.getJobById(name, second!))?.state).toBe('completed');
    // `later` becomes available now, after the retry (no delay) did: both are available.
    await db.pool.query(`update pgboss.job set start_after = now() where name = $1 and id = $2`, [
      name,
      later,
    ]);
    const b = await claimJobs<{ n: string }>(db.pool, name, 1);
    expect(b.map((j) => [j.id, j.retryCount])).toEqual([[first, 1]]);
    const c = await claimJobs<{ n: string }>(db.pool, name, 5);
    expect(c.map((j) => [j.id, j.retryCount])).toEqual([[later, 0]]);
    // A completed or active job is not completed again by a stale batch.
    const done = await db.pool.query(completeJobsSql(), [name, [second, first]]);
    expect(done.rowCount).toBe(1);
    expect((await queue.boss.getJobById(name, first!))?.state).toBe('completed');
  });
});
