import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  movementsBetween,
  movementsSeries,
  mrrAt,
  mrrSeries,
  netMovement,
  recentPayments,
  recentRefunds,
  revenueSummary,
  topCustomers,
} from '../src/index.ts';
import { simulateStripeEvents } from '../src/testing/index.ts';
import { applyEventDirect, resetLedger } from './support/ledger.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const D = (s: string) => new Date(`${s}T00:00:00Z`);
const DAY = 86_400_000;

async function setIntervals(
  rows: { customer: string; from: Date; to: Date | null; mrr: number; item?: string; currency?: string }[],
) {
  await db.pool.query('truncate public.billing_mrr_intervals');
  let n = 0;
  for (const r of rows) {
    n++;
    await db.pool.query(
      `insert into public.billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr) values ($1, $2, $3, $4, $5, $6, $7)`,
      [`sub_${r.customer}`, r.item ?? `si_${n}`, r.customer, r.currency ?? 'usd', r.from, r.to, r.mrr],
    );
  }
}

describe('MRR and movements over intervals', () => {
  it('classifies a customer life: new, expansion, contraction, churn, reactivation', async () => {
    await setIntervals([
      {
        customer: 'a',
        from: new Date(D('2026-01-03').getTime() + 3_600_000),
        to: D('2026-01-10'),
        mrr: 1000,
      },
      { customer: 'a', from: D('2026-01-10'), to: D('2026-01-20'), mrr: 3000 },
      { customer: 'a', from: D('2026-01-20'), to: D('2026-02-01'), mrr: 2000 },
      { customer: 'a', from: D('2026-03-01'), to: null, mrr: 2500 },
      { customer: 'b', from: D('2025-12-01'), to: null, mrr: 500, currency: 'eur' },
    ]);
    const m = await movementsBetween(db.pool, {
      from: D('2026-01-01'),
      to: D('2026-04-01'),
      currency: 'usd',
      currencies: 'only',
    });
    expect(m).toMatchObject({
      new: 1000,
      expansion: 2000,
      contraction: 1000,
      churn: 2000,
      reactivation: 2500,
      newCustomers: 1,
      reactivatedCustomers: 1,
      churnedCustomers: 1,
    });
    expect(await mrrAt(db.pool, { at: D('2026-01-15'), currency: 'usd', currencies: 'only' })).toEqual({
      mrr: 3000,
      arr: 36000,
      payingCustomers: 1,
    });
    // A change at exactly midnight belongs to the day it starts: MRR as of 2026-01-10 is still 1000.
    expect((await mrrAt(db.pool, { at: D('2026-01-10'), currency: 'usd', currencies: 'only' })).mrr).toBe(
      1000,
    );
    expect((await mrrAt(db.pool, { at: D('2026-01-15'), currency: 'eur', currencies: 'only' })).mrr).toBe(
      500,
    );
    const months = await movementsSeries(db.pool, {
      from: D('2026-01-01'),
      to: D('2026-04-01'),
      currency: 'usd',
      currencies: 'only',
      interval: 'month',
    });
    expect(
      months.map((x) => [x.start.slice(0, 10), x.new, x.expansion, x.contraction, x.churn, x.reactivation]),
    ).toEqual([
      ['2026-01-01', 1000, 2000, 1000, 0, 0],
      ['2026-02-01', 0, 0, 0, 2000, 0],
      ['2026-03-01', 0, 0, 0, 0, 2500],
    ]);
    const series = await mrrSeries(db.pool, {
      from: D('2026-01-01'),
      to: D('2026-04-01'),
      currency: 'usd',
      currencies: 'only',
      interval: 'month',
    });
    expect(series.map((p) => [p.at.slice(0, 10), p.mrr])).toEqual([
      ['2026-02-01', 2000],
      ['2026-03-01', 0],
      ['2026-04-01', 2500],
    ]);
    const weeks = await movementsSeries(db.pool, {
      from: D('2026-01-01'),
      to: D('2026-01-15'),
      currency: 'usd',
      currencies: 'only',
      interval: 'week',
    });
    expect(weeks[0]!.start).toBe('2026-01-01T00:00:00.000Z');
    expect(weeks[1]!.start).toBe('2026-01-05T00:00:00.000Z'); // ISO weeks start on Monday
  });

  it('identity: MRR(to) = MRR(from) + new + reactivation + expansion - contraction - churn (SQL, random intervals)', async () => {
    const base = D('2026-01-01').getTime();
    const interval = fc.record({
      customer: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'),
      start: fc.integer({ min: 0, max: 90 * 24 }),
      hours: fc.option(fc.integer({ min: 1, max: 60 * 24 }), { nil: null }),
      mrr: fc.integer({ min: 1, max: 50_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(interval, { maxLength: 14 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (ivs, fromDay, len, aligned) => {
          await setIntervals(
            ivs.map((i) => ({
              customer: i.customer,
              from: new Date(base + i.start * 3_600_000),
              to: i.hours === null ? null : new Date(base + (i.start + i.hours) * 3_600_000),
              mrr: i.mrr,
            })),
          );
          const from = new Date(base + fromDay * DAY + (aligned ? 0 : 5 * 3_600_000));
          const to = new Date(from.getTime() + len * DAY);
          const q = { from, to, currency: 'usd' };
          const [start, end, m] = await Promise.all([
            mrrAt(db.pool, { at: from, currency: 'usd' }),
            mrrAt(db.pool, { at: to, currency: 'usd' }),
            movementsBetween(db.pool, q),
          ]);
          expect(end.mrr).toBe(start.mrr + netMovement(m));
          const days = await movementsSeries(db.pool, { ...q, interval: 'day' });
          expect(days.reduce((s, d) => s + d.net, 0)).toBe(netMovement(m));
          const series = await mrrSeries(db.pool, { ...q, interval: 'week' });
          expect(series.at(-1)!.mrr).toBe(end.mrr);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('revenueSummary over a simulated Stripe stream', () => {
  it('reports MRR, movements, cash and refunds consistently', async () => {
    await resetLedger(db.pool);
    const start = D('2026-01-01').getTime() / 1000;
    for (const e of simulateStripeEvents({ seed: 3, customers: 40, start, days: 200 })) {
      await applyEventDirect(db.pool, e);
    }
    const s = await revenueSummary(db.pool, { from: D('2026-03-01'), to: D('2026-06-01'), currency: 'usd' });
    expect(s.mrr).toBe(s.mrrStart + s.movements.net);
    expect(s.arr).toBe(12 * s.mrr);
    expect(s.mrr).toBeGreaterThan(0);
    expect(s.payingCustomers).toBeGreaterThan(0);
    expect(s.cash.collected).toBeGreaterThan(0);
    expect(s.cash.net).toBe(s.cash.collected - s.cash.refunds);
    expect(Object.keys(s).sort()).toEqual(
      [
        'from',
        'to',
        'asOf',
        'currency',
        'mrr',
        'arr',
        'payingCustomers',
        'arpa',
        'mrrStart',
        'payingCustomersStart',
        'movements',
        'newCustomers',
        'reactivatedCustomers',
        'churnedCustomers',
        'customerChurnRate',
        'grossMrrChurnRate',
        'netMrrChurnRate',
        'quickRatio',
        'ltv',
        'nrr',
        'grr',
        'activeSubscriptions',
        'trialingSubscriptions',
        'failedPayments',
        'cash',
        'choices',
        'choiceNotes',
        'fxEffect',
        'usageRevenue',
        'byCurrency',
        'exchangeRates',
      ].sort(),
    );
    // asOf caps the range: as of March 15 the figures equal a range ending March 15.
    const capped = await revenueSummary(db.pool, {
      from: D('2026-03-01'),
      to: D('2026-06-01'),
      currency: 'usd',
      asOf: D('2026-03-15'),
    });
    const direct = await revenueSummary(db.pool, {
      from: D('2026-03-01'),
      to: D('2026-03-15'),
      currency: 'usd',
    });
    expect({ ...capped, to: direct.to }).toEqual(direct);
    const top = await topCustomers(db.pool, { asOf: D('2026-06-01'), currency: 'usd', limit: 3 });
    expect(top.length).toBeGreaterThan(0);
    expect(top[0]!.mrr).toBeGreaterThanOrEqual(top.at(-1)!.mrr);
    expect(top[0]!.email).toMatch(/@example.test$/);
    const payments = await recentPayments(db.pool, { limit: 5 });
    expect(payments).toHaveLength(5);
    const failed = await recentPayments(db.pool, { status: 'requires_payment_method', limit: 50 });
    expect(failed.every((p) => p.status === 'requires_payment_method')).toBe(true);
    const refunds = await recentRefunds(db.pool, { limit: 50 });
    expect(refunds.length).toBeGreaterThan(0);
  });
});
