import { withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeJobCount,
  completeJobs,
  DEFAULT_QUEUE_SCHEMA,
  executor,
  failJob,
  fetchJobs,
  insertEvent,
  type LedgerQueue,
  parseEvent,
  receiveEvent,
  releaseJobs,
  STRIPE_EVENTS_QUEUE,
  startQueue,
} from '../src/index.ts';
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

  it('receiveEvent writes the inbox row and its job (pg-boss send) in one transaction', async () => {
    const e = f.event(
      'customer.created',
      1_767_225_700,
      customerObject('cus_q2', 'b@example.test', 'B', 1_767_225_700),
    );
    const env = parseEvent(e);
    if (!env.ok) throw env.error;
    expect(await receiveEvent(db.pool, env.value, JSON.stringify(e))).toEqual({ inserted: true });
    expect(await receiveEvent(db.pool, env.value, JSON.stringify(e))).toEqual({ inserted: false });
    expect(await jobsFor(e.id)).toBe(1);
    const row = await db.pool.query('select job_id from public.stripe_events where id = $1', [e.id]);
    const job = await queue.boss.getJobById(STRIPE_EVENTS_QUEUE, row.rows[0].job_id);
    // The queue's policy, as pg-boss applies it to a job sent without options.
    expect(job).toMatchObject({
      state: 'created',
      data: { eventId: e.id, scope: 'cus_q2' },
      priority: 0,
      retryLimit: 5,
      retryDelay: 2,
      retryBackoff: true,
    });
    expect(Number(job?.expireInSeconds)).toBe(30);
  });

  it('without the queue, receiveEvent fails and writes nothing', async () => {
    const other = await createTestDatabase();
    try {
      // The migrations create the queue; remove it (pg-boss deleteQueue) to see the guard.
      const boss = new PgBoss({ db: executor(other.pool), schema: DEFAULT_QUEUE_SCHEMA } as never);
      await boss.deleteQueue(STRIPE_EVENTS_QUEUE);
      const e = f.event(
        'customer.created',
        1_767_225_800,
        customerObject('cus_q3', 'c@example.test', 'C', 1_767_225_800),
      );
      const env = parseEvent(e);
      if (!env.ok) throw env.error;
      await expect(receiveEvent(other.pool, env.value, JSON.stringify(e))).rejects.toThrow(/does not exist/);
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

describe('fetching, completing, failing and releasing jobs (pg-boss calls on the caller connection)', () => {
  it('fetches available jobs once each, oldest first; a fetch after a failure counts a retry; completion only takes active jobs', async () => {
    const name = 'claim-test';
    await queue.ensureQueue(name, { retryLimit: 3, retryDelaySeconds: 0, retryBackoff: false });
    // Not available for a minute: however slow the machine, it is not fetched early.
    const later = await queue.boss.send(name, { n: 'later' }, { startAfter: 60 });
    const first = await queue.boss.send(name, { n: 'first' });
    const second = await queue.boss.send(name, { n: 'second' });
    const a = await fetchJobs<{ n: string }>(db.pool, name, 5);
    expect(a.map((j) => j.data.n).sort()).toEqual(['first', 'second']);
    expect(a.every((j) => j.retryCount === 0 && j.retryLimit === 3 && j.expireInSeconds === 30)).toBe(true);
    // Fetched jobs are pg-boss active jobs, and are not handed out twice.
    expect((await queue.boss.getJobById(name, first!))?.state).toBe('active');
    expect(await activeJobCount(db.pool, name)).toBe(2);
    expect(await fetchJobs(db.pool, name, 5)).toEqual([]);
    await failJob(db.pool, name, first!, { message: 'boom' });
    await completeJobs(db.pool, name, [second!]);
    expect((await queue.boss.getJobById(name, second!))?.state).toBe('completed');
    expect(await activeJobCount(db.pool, name)).toBe(0);
    const b = await fetchJobs<{ n: string }>(db.pool, name, 5);
    expect(b.map((j) => [j.id, j.retryCount])).toEqual([[first, 1]]);
    // A completed job is not completed again by a stale batch; an active one is.
    await completeJobs(db.pool, name, [second!, first!]);
    expect((await queue.boss.getJobById(name, first!))?.state).toBe('completed');
    expect((await queue.boss.getJobById(name, later!))?.state).toBe('created');
  });

  it('a released job comes back without an attempt counted, with the retries it had left', async () => {
    const name = 'release-test';
    await queue.ensureQueue(name, { retryLimit: 3, retryDelaySeconds: 0, retryBackoff: false });
    const id = await queue.boss.send(name, { n: 'x' });
    await fetchJobs(db.pool, name, 1);
    await failJob(db.pool, name, id!, { message: 'boom' });
    const [fetched] = await fetchJobs<{ n: string }>(db.pool, name, 1);
    expect(fetched).toMatchObject({ id, retryCount: 1, retryLimit: 3 });
    // Released inside a transaction that rolls back: nothing changes.
    await expect(
      withTransaction(db.pool, async (client) => {
        await releaseJobs(client, name, [fetched!], { delaySeconds: 0 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await queue.boss.getJobById(name, id!))?.state).toBe('active');
    await withTransaction(db.pool, (client) => releaseJobs(client, name, [fetched!], { delaySeconds: 0 }));
    expect((await queue.boss.getJobById(name, id!))?.state).toBe('completed');
    const [again] = await fetchJobs<{ n: string }>(db.pool, name, 1);
    expect(again).toMatchObject({ data: { n: 'x' }, retryCount: 0, retryLimit: 2 });
    expect(again?.id).not.toBe(id);
  });
});
