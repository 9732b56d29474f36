import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processBatch } from '../src/processing/processor.ts';
import { defaultEventRegistry } from '../src/processing/registry.ts';
import {
  type ClaimedJob,
  fetchJobs,
  type LedgerQueue,
  STRIPE_EVENTS_QUEUE,
  startQueue,
} from '../src/queue.ts';
import { eventScope, receiveEvent, replayEvent } from '../src/store/inbox.ts';
import { parseEvent } from '../src/stripe/parse.ts';
import { customerObject, eventFactory } from '../src/testing/index.ts';

let db: TestDatabase;
let queue: LedgerQueue;
const f = eventFactory({ prefix: 'sc' });
const T = 1_767_225_600;

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool);
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

const envelope = (e: ReturnType<typeof f.event>) => {
  const p = parseEvent(e);
  if (!p.ok) throw p.error;
  return p.value;
};

type JobData = { eventId: string; scope?: string };
const batchJobs = (jobs: ClaimedJob<JobData>[]) => ({
  queue: STRIPE_EVENTS_QUEUE,
  list: jobs.map((j) => ({
    id: j.id,
    eventId: j.data.eventId,
    scope: j.data.scope ?? null,
    retryCount: j.retryCount,
    retryLimit: j.retryLimit,
  })),
});

describe('batch scopes', () => {
  it('an event belongs to its customer, else to its object', () => {
    expect(
      eventScope(envelope(f.event('customer.created', T, customerObject('cus_s', 'a@x.test', 'A', T)))),
    ).toBe('cus_s');
    const sub = { id: 'sub_s', object: 'subscription', customer: 'cus_s' };
    expect(eventScope(envelope(f.event('customer.subscription.created', T, sub)))).toBe('cus_s');
    const expanded = { ...sub, customer: { id: 'cus_t', object: 'customer' } };
    expect(eventScope(envelope(f.event('customer.subscription.updated', T, expanded)))).toBe('cus_t');
    const price = { id: 'price_s', object: 'price', currency: 'usd', unit_amount: 100 };
    expect(eventScope(envelope(f.event('price.created', T, price)))).toBe('price_s');
  });

  it('defers the events of a scope another batch holds, without counting an attempt, and processes them once it is free', async () => {
    const a1 = f.event('customer.created', T, customerObject('cus_sa', 'a1@x.test', 'A', T));
    const a2 = f.event('customer.updated', T + 5, customerObject('cus_sa', 'a2@x.test', 'A', T));
    const b1 = f.event('customer.created', T, customerObject('cus_sb', 'b1@x.test', 'B', T));
    for (const e of [a1, a2, b1]) await receiveEvent(db.pool, envelope(e), JSON.stringify(e));
    // Another transaction holds customer A's scope, as a running batch would.
    const holder = await db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtextextended('billing-ledger:scope:' || $1, 0))`, [
        'cus_sa',
      ]);
      const jobs = await fetchJobs<JobData>(db.pool, STRIPE_EVENTS_QUEUE, 10);
      expect(jobs.map((j) => j.data.scope).sort()).toEqual(['cus_sa', 'cus_sa', 'cus_sb']);
      const outcomes = await processBatch(db.pool, [], {
        registry: defaultEventRegistry(),
        jobs: batchJobs(jobs),
      });
      expect(Object.fromEntries(outcomes ?? [])).toEqual({
        [a1.id]: { status: 'deferred' },
        [a2.id]: { status: 'deferred' },
        [b1.id]: { status: 'processed' },
      });
      // The processed event's job completed; the deferred events' jobs completed and sent again
      // (pg-boss complete + insert in the batch's transaction), not yet started, no retry used.
      const state = async (id: string) => (await queue.boss.getJobById(STRIPE_EVENTS_QUEUE, id))?.state;
      for (const j of jobs) expect(await state(j.id)).toBe('completed');
      const states = await db.pool.query(
        `select data->>'eventId' as event, state, started_on, retry_count, retry_limit from pgboss.job
         where name = $1 and state <> 'completed'`,
        [STRIPE_EVENTS_QUEUE],
      );
      expect(states.rows.map((r) => r.event).sort()).toEqual([a1.id, a2.id].sort());
      for (const r of states.rows)
        expect(r).toMatchObject({ state: 'created', started_on: null, retry_count: 0, retry_limit: 5 });
      const inbox = await db.pool.query(`select id, status, attempts from public.stripe_events order by id`);
      expect(inbox.rows).toEqual([
        { id: a1.id, status: 'pending', attempts: 0 },
        { id: a2.id, status: 'pending', attempts: 0 },
        { id: b1.id, status: 'processed', attempts: 1 },
      ]);
      expect(
        (await db.pool.query(`select count(*)::int as n from public.stripe_customers where id = 'cus_sa'`))
          .rows[0].n,
      ).toBe(0);
    } finally {
      await holder.query('commit');
      holder.release();
    }
    // Released jobs come back after a short delay and count no retry.
    await new Promise((r) => setTimeout(r, 100));
    const again = await fetchJobs<JobData>(db.pool, STRIPE_EVENTS_QUEUE, 10);
    expect(again.map((j) => [j.data.eventId, j.retryCount]).sort()).toEqual([
      [a1.id, 0],
      [a2.id, 0],
    ]);
    const outcomes = await processBatch(db.pool, [], {
      registry: defaultEventRegistry(),
      jobs: batchJobs(again),
    });
    expect([...(outcomes?.values() ?? [])].map((o) => o.status)).toEqual(['processed', 'processed']);
    const row = await db.pool.query(`select email, raw from public.stripe_customers where id = 'cus_sa'`);
    expect(row.rows[0].email).toBe('a2@x.test');
    // The raw JSON came from the inbox row (the batch does not send it again): the event's object.
    expect(row.rows[0].raw).toEqual(a2.data.object);
    const left = await db.pool.query(
      `select count(*)::int as n from pgboss.job where name = $1 and state <> 'completed'`,
      [STRIPE_EVENTS_QUEUE],
    );
    expect(left.rows[0].n).toBe(0);
  });

  it('an event with a second job without a scope (a replay) is processed once, and both jobs complete', async () => {
    const c1 = f.event('customer.created', T, customerObject('cus_sc', 'c1@x.test', 'C', T));
    await receiveEvent(db.pool, envelope(c1), JSON.stringify(c1));
    expect((await replayEvent(db.pool, c1.id)).ok).toBe(true);
    const holder = await db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtextextended('billing-ledger:scope:' || $1, 0))`, [
        'cus_sc',
      ]);
      const jobs = await fetchJobs<JobData>(db.pool, STRIPE_EVENTS_QUEUE, 10);
      expect(jobs.map((j) => j.data.scope ?? null).sort()).toEqual(['cus_sc', null]);
      const outcomes = await processBatch(db.pool, [], {
        registry: defaultEventRegistry(),
        jobs: batchJobs(jobs),
      });
      expect(Object.fromEntries(outcomes ?? [])).toEqual({ [c1.id]: { status: 'processed' } });
      const states = await db.pool.query(`select state from pgboss.job where id = any($1::uuid[])`, [
        jobs.map((j) => j.id),
      ]);
      expect(states.rows.map((r) => r.state)).toEqual(['completed', 'completed']);
    } finally {
      await holder.query('commit');
      holder.release();
    }
    const inbox = await db.pool.query(`select status, attempts from public.stripe_events where id = $1`, [
      c1.id,
    ]);
    expect(inbox.rows[0]).toEqual({ status: 'processed', attempts: 1 });
  });
});
