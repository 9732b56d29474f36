import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { insertEvents, type ParsedWireEvent } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  churnByCohort,
  recentCohortRange,
  refreshCohorts,
  revenueRetention,
  storedUserRetention,
  userRetention,
  weightedRetentionSummary,
} from '../src/index.ts';

const ev = (userId: string, name: string, at: string, category = 'feature'): ParsedWireEvent => ({
  id: randomUUID(),
  name,
  category,
  userId,
  properties: {},
  occurredAt: new Date(at).toISOString(),
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await insertEvents(db.pool, 'app', [
    ev('a', 'user_signed_up', '2026-03-02T09:00:00Z', 'lifecycle'),
    ev('a', 'export_created', '2026-03-10T09:00:00Z'),
    ev('a', 'export_created', '2026-03-24T09:00:00Z'),
    ev('b', 'user_signed_up', '2026-03-04T09:00:00Z', 'lifecycle'),
    ev('c', 'user_signed_up', '2026-03-10T09:00:00Z', 'lifecycle'),
    ev('c', 'export_created', '2026-03-17T09:00:00Z'),
  ]);
  await db.pool.query(
    `insert into billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr) values
      ('sub_1', 'si_1', 'cus_1', 'usd', '2026-01-15', '2026-02-10', 1000),
      ('sub_1', 'si_1', 'cus_1', 'usd', '2026-02-10', null, 1500),
      ('sub_2', 'si_2', 'cus_2', 'usd', '2026-01-20', '2026-02-20', 1000),
      ('sub_3', 'si_3', 'cus_3', 'usd', '2026-02-05', null, 2000),
      ('sub_4', 'si_4', 'cus_4', 'usd', '2026-01-01', '2026-02-01', 0),
      ('sub_4', 'si_4', 'cus_4', 'usd', '2026-02-01', null, 500)`,
  );
});
afterAll(() => db.drop());

const weekly = {
  granularity: 'week' as const,
  from: new Date('2026-03-01T00:00:00Z'),
  to: new Date('2026-03-16T00:00:00Z'),
  asOf: new Date('2026-03-26T00:00:00Z'),
  app: 'app',
};

describe('user retention', () => {
  it('builds the weekly "on" matrix and its weighted summary', async () => {
    const m = await userRetention(db.pool, { ...weekly, mode: 'on' });
    expect(m.cohorts.map((c) => [c.cohortStart, c.size, c.periods.map((p) => p.users)])).toEqual([
      ['2026-03-02', 2, [2, 1, 0, 1]],
      // Week 3 of this cohort starts after the as-of day: not reached, null (not 0).
      ['2026-03-09', 1, [1, 1, 0, null]],
    ]);
    expect(m.cohorts[1]!.periods[3]).toEqual({ period: 3, users: null, rate: null });
    expect(m.summary.map((s) => s.rate)).toEqual([1, 0.6667, 0, 0.5]);
  });

  it('builds the "on or after" matrix', async () => {
    const m = await userRetention(db.pool, { ...weekly, mode: 'on_or_after' });
    expect(m.cohorts.map((c) => c.periods.map((p) => p.users))).toEqual([
      [2, 1, 1, 1],
      [1, 1, 0, null],
    ]);
    expect(m.summary.map((s) => s.rate)).toEqual([1, 0.6667, 0.3333, 0.5]);
  });

  it('builds daily and monthly matrices', async () => {
    const monthly = await userRetention(db.pool, { ...weekly, granularity: 'month', mode: 'on' });
    expect(monthly.cohorts).toEqual([
      { cohortStart: '2026-03-01', size: 3, periods: [{ period: 0, users: 3, rate: 1 }] },
    ]);
    const daily = await userRetention(db.pool, { ...weekly, granularity: 'day', mode: 'on', periods: 9 });
    expect(daily.cohorts[0]).toMatchObject({ cohortStart: '2026-03-02', size: 1 });
    expect(daily.cohorts[0]!.periods.map((p) => p.users)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
});

describe('revenue retention and churn by cohort (from the ledger MRR intervals)', () => {
  const range = {
    from: new Date('2026-01-01T00:00:00Z'),
    to: new Date('2026-03-01T00:00:00Z'),
    asOf: new Date('2026-04-01T00:00:00Z'),
  };
  it('computes NRR and GRR by first-paid month', async () => {
    const cohorts = await revenueRetention(db.pool, range);
    expect(cohorts).toEqual([
      {
        currency: 'usd',
        cohortMonth: '2026-01-01',
        customers: 2,
        startMrr: 2000,
        months: [
          { monthOffset: 0, mrr: 2000, nrr: 1, grr: 1, churnedCustomers: 0 },
          { monthOffset: 1, mrr: 1500, nrr: 0.75, grr: 0.5, churnedCustomers: 1 },
          { monthOffset: 2, mrr: 1500, nrr: 0.75, grr: 0.5, churnedCustomers: 1 },
        ],
      },
      {
        currency: 'usd',
        cohortMonth: '2026-02-01',
        customers: 2,
        startMrr: 2500,
        months: [
          { monthOffset: 0, mrr: 2500, nrr: 1, grr: 1, churnedCustomers: 0 },
          { monthOffset: 1, mrr: 2500, nrr: 1, grr: 1, churnedCustomers: 0 },
        ],
      },
    ]);
  });

  it('computes churn by cohort as of an instant', async () => {
    expect(await churnByCohort(db.pool, range)).toEqual([
      { currency: 'usd', cohortMonth: '2026-01-01', customers: 2, churned: 1, rate: 0.5, mrrAtAsOf: 1500 },
      { currency: 'usd', cohortMonth: '2026-02-01', customers: 2, churned: 0, rate: 0, mrrAtAsOf: 2500 },
    ]);
  });
});

describe('refresh', () => {
  it('is idempotent and picks up new activity incrementally', async () => {
    const asOf = new Date('2026-03-26T00:00:00Z');
    const first = await refreshCohorts(db.pool, { asOf, app: 'app' });
    expect(first.changed).toBe(first.userCells + first.revenueCells);
    expect(first.changed).toBeGreaterThan(0);
    const again = await refreshCohorts(db.pool, { asOf, app: 'app' });
    expect(again).toMatchObject({ changed: 0, unchanged: first.changed });
    const stored = await storedUserRetention(db.pool, { granularity: 'week', mode: 'on', app: 'app' });
    const live = await userRetention(db.pool, { ...weekly, mode: 'on' });
    expect(stored.filter((c) => c.cohortStart >= '2026-03-02' && c.cohortStart < '2026-03-16')).toEqual(
      live.cohorts,
    );

    await insertEvents(db.pool, 'app', [ev('b', 'export_created', '2026-03-18T09:00:00Z')]);
    const third = await refreshCohorts(db.pool, { asOf, app: 'app' });
    expect(third.changed).toBeGreaterThan(0);
    expect(third.changed).toBeLessThan(20);
    const after = await storedUserRetention(db.pool, { granularity: 'week', mode: 'on', app: 'app' });
    expect(after.find((c) => c.cohortStart === '2026-03-02')!.periods.map((p) => p.users)).toEqual([
      2, 1, 1, 1,
    ]);
  });
});

describe('cohorts as of an instant', () => {
  it('holds no user who signs up after the as-of instant: the running week starts at 100%', async () => {
    // Wednesday 2026-04-08 12:00 is the as-of instant; the week began Monday 2026-04-06.
    await insertEvents(db.pool, 'asof', [
      ev('m', 'user_signed_up', '2026-04-06T09:00:00Z', 'lifecycle'),
      ev('t', 'user_signed_up', '2026-04-07T09:00:00Z', 'lifecycle'),
      ev('w', 'user_signed_up', '2026-04-08T09:00:00Z', 'lifecycle'),
      // Later the same week: after the as-of instant.
      ev('late1', 'user_signed_up', '2026-04-08T15:00:00Z', 'lifecycle'),
      ev('late2', 'user_signed_up', '2026-04-10T09:00:00Z', 'lifecycle'),
      ev('older', 'user_signed_up', '2026-03-30T09:00:00Z', 'lifecycle'),
    ]);
    const asOf = new Date('2026-04-08T12:00:00Z');
    for (const granularity of ['day', 'week', 'month'] as const) {
      const m = await userRetention(db.pool, {
        granularity,
        mode: 'on',
        ...recentCohortRange(granularity, asOf, 3),
        asOf,
        app: 'asof',
      });
      const current = m.cohorts.at(-1)!;
      expect(current.size, granularity).toBe(granularity === 'day' ? 1 : 3);
      expect(current.periods[0], granularity).toMatchObject({ users: current.size, rate: 1 });
    }
    // The stored tables say the same after a refresh, with the weighted summary on top.
    await refreshCohorts(db.pool, { asOf, app: 'asof' });
    const stored = await storedUserRetention(db.pool, { granularity: 'week', mode: 'on', app: 'asof' });
    expect(stored.map((c) => [c.cohortStart, c.size, c.periods.map((p) => p.users)])).toEqual([
      ['2026-03-30', 1, [1, 0]],
      ['2026-04-06', 3, [3, null]],
    ]);
    expect(weightedRetentionSummary(stored)).toEqual([
      { period: 0, users: 4, rate: 1 },
      { period: 1, users: 0, rate: 0 },
    ]);
  });
});
