import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertMinor,
  isLedgerError,
  listFxRates,
  movementsSeries,
  mrrAt,
  mrrSeries,
  netMovement,
  parseDecimal,
  revenueSummary,
  topCustomers,
  upsertFxRates,
} from '../src/index.ts';
import {
  eventFactory,
  invoiceObject,
  type Obj,
  OLD_API_VERSION,
  type PlanPrice,
  priceObject,
  type StripeEvent,
  type SubscriptionState,
  subscriptionObject,
} from '../src/testing/index.ts';
import { applyEventDirect, resetLedger } from './support/ledger.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const D = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s);
const DAY_MS = 86_400_000;

async function setIntervals(
  rows: { customer: string; from: Date; to: Date | null; mrr: number; currency: string; requested?: Date }[],
) {
  await db.pool.query('truncate public.billing_mrr_intervals');
  let n = 0;
  for (const r of rows) {
    n++;
    await db.pool.query(
      `insert into public.billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [`sub_${r.customer}`, `si_${n}`, r.customer, r.currency, r.from, r.to, r.mrr, r.requested ?? null],
    );
  }
}

async function setRates(rows: [string, string, string, string][]) {
  await db.pool.query('truncate public.fx_rates');
  const r = await upsertFxRates(
    db.pool,
    rows.map(([base, quote, date, rate]) => ({ base, quote, date, rate })),
    { source: 'test' },
  );
  expect(r.ok).toBe(true);
}

describe('currencies: reports convert into the report currency with fx_rates', () => {
  beforeAll(async () => {
    await setIntervals([
      { customer: 'a', from: D('2025-12-01'), to: null, mrr: 10_000, currency: 'usd' },
      { customer: 'b', from: D('2025-12-15'), to: D('2026-02-10'), mrr: 5_000, currency: 'eur' },
      { customer: 'b', from: D('2026-02-10'), to: null, mrr: 8_000, currency: 'eur' },
      { customer: 'c', from: D('2026-01-20'), to: null, mrr: 3_000, currency: 'jpy' },
    ]);
    await setRates([
      ['eur', 'usd', '2025-12-01', '1.10'],
      ['eur', 'usd', '2026-02-01', '1.20'],
      // Only USD -> JPY is stored: JPY -> USD uses its inverse.
      ['usd', 'jpy', '2025-12-01', '150'],
    ]);
  });
  const range = { from: D('2026-01-01'), to: D('2026-03-01') };

  it('converts MRR at the rate of its day and movements at the rate of theirs; rate changes are the FX effect', async () => {
    const s = await revenueSummary(db.pool, { ...range, currency: 'usd' });
    // As of 2026-01-01 (rate day 2025-12-31): 10000 + 5000 EUR x 1.10.
    expect(s.mrrStart).toBe(15_500);
    // As of 2026-03-01 (rate day 2026-02-28): 10000 + 8000 EUR x 1.20 + 3000 JPY / 150 x 100.
    expect(s.mrr).toBe(21_600);
    expect(s.movements).toEqual({
      new: 2_000,
      reactivation: 0,
      expansion: 3_600, // (8000 - 5000) EUR at the 2026-02-10 rate, 1.20
      contraction: 0,
      churn: 0,
      net: 5_600,
    });
    // The EUR MRR standing when the rate moved from 1.10 to 1.20: 5000 x 0.10.
    expect(s.fxEffect).toBe(500);
    expect(s.mrr).toBe(s.mrrStart + s.movements.net + s.fxEffect);
    expect(s.payingCustomers).toBe(3);
    expect(s.choices).toEqual({
      currency: 'usd',
      currencies: 'convert',
      cancellation: 'period_end',
      meteredUsage: 'exclude',
    });
    expect(s.choiceNotes[0]).toMatch(/converted to USD/);
    expect(s.byCurrency).toEqual([
      {
        currency: 'eur',
        mrrStart: 5_000,
        mrr: 8_000,
        movements: expect.objectContaining({ expansion: 3_000, net: 3_000 }),
      },
      {
        currency: 'jpy',
        mrrStart: 0,
        mrr: 3_000,
        movements: expect.objectContaining({ new: 3_000, net: 3_000 }),
      },
      { currency: 'usd', mrrStart: 10_000, mrr: 10_000, movements: expect.objectContaining({ net: 0 }) },
    ]);
    expect(s.exchangeRates).toEqual([
      {
        base: 'eur',
        quote: 'usd',
        rateDate: '2025-12-01',
        rate: '1.1000000000',
        inverse: false,
        from: '2025-12-31',
        until: '2026-01-31',
      },
      {
        base: 'eur',
        quote: 'usd',
        rateDate: '2026-02-01',
        rate: '1.2000000000',
        inverse: false,
        from: '2026-02-01',
        until: '2026-02-28',
      },
      {
        base: 'jpy',
        quote: 'usd',
        rateDate: '2025-12-01',
        rate: '150.0000000000',
        inverse: true,
        from: '2026-01-20',
        until: '2026-02-28',
      },
    ]);
  });

  it('a rate change alone is no movement', async () => {
    const days = await movementsSeries(db.pool, {
      from: D('2026-01-25'),
      to: D('2026-02-05'),
      currency: 'usd',
      interval: 'day',
    });
    expect(days.every((d) => d.net === 0 && d.new + d.expansion + d.contraction + d.churn === 0)).toBe(true);
    const series = await mrrSeries(db.pool, {
      from: D('2026-01-30'),
      to: D('2026-02-03'),
      currency: 'usd',
      interval: 'day',
    });
    // MRR itself moves with the rate: 10000 + 5500 + 2000, then 10000 + 6000 + 2000 from the 2026-02-01 rate.
    expect(series.map((p) => [p.at.slice(0, 10), p.mrr])).toEqual([
      ['2026-01-31', 17_500],
      ['2026-02-01', 17_500],
      ['2026-02-02', 18_000],
      ['2026-02-03', 18_000],
    ]);
  });

  it('reports in a zero-decimal currency in whole yen', async () => {
    await upsertFxRates(db.pool, [{ base: 'eur', quote: 'jpy', date: '2025-12-01', rate: '160' }]);
    const s = await revenueSummary(db.pool, { ...range, currency: 'jpy' });
    // 100.00 USD = 15000 yen; 50.00 EUR = 8000 yen; 3000 yen.
    expect(s.mrrStart).toBe(15_000 + 8_000);
    expect(s.mrr).toBe(15_000 + 12_800 + 3_000);
    expect(s.movements.new).toBe(3_000);
    expect(s.movements.expansion).toBe(4_800);
    expect(s.fxEffect).toBe(0);
    expect(Number.isInteger(s.mrr) && Number.isInteger(s.arpa)).toBe(true);
    const top = await topCustomers(db.pool, { asOf: range.to, currency: 'jpy' });
    expect(top.map((t) => [t.customerId, t.mrr])).toEqual([
      ['a', 15_000],
      ['b', 12_800],
      ['c', 3_000],
    ]);
    await db.pool.query(`delete from public.fx_rates where base_currency = 'eur' and quote_currency = 'jpy'`);
  });

  it('a missing rate is an error naming the pair and the first day it is needed', async () => {
    const error = await revenueSummary(db.pool, { ...range, currency: 'jpy' }).catch((e: unknown) => e);
    expect(isLedgerError(error) && error.code).toBe('missing_fx_rate');
    expect((error as Error).message).toMatch(/EUR->JPY on or before 2025-12-31/);
    await expect(mrrAt(db.pool, { at: D('2026-01-10'), currency: 'gbp' })).rejects.toThrow(
      /No exchange rate EUR->GBP on or before 2026-01-09/,
    );
  });

  it("currencies: 'only' keeps the amounts billed in the currency, unconverted", async () => {
    const s = await revenueSummary(db.pool, { ...range, currency: 'eur', currencies: 'only' });
    expect([s.mrrStart, s.mrr, s.movements.expansion, s.fxEffect, s.payingCustomers]).toEqual([
      5_000, 8_000, 3_000, 0, 1,
    ]);
    expect(s.exchangeRates).toEqual([]);
    expect(s.choiceNotes[0]).toMatch(/only amounts billed in EUR/);
  });

  it('identity per currency; with steady rates none of the converted change is FX; SQL conversion equals the pure one (property)', async () => {
    const base = D('2026-01-01').getTime();
    const interval = fc.record({
      customer: fc.constantFrom('c1', 'c2', 'c3', 'c4'),
      currency: fc.constantFrom('usd', 'eur', 'jpy', 'kwd'),
      start: fc.integer({ min: 0, max: 60 * 24 }),
      hours: fc.option(fc.integer({ min: 1, max: 40 * 24 }), { nil: null }),
      mrr: fc.integer({ min: 1, max: 90_000 }),
    });
    const rate = fc.integer({ min: 1, max: 5_000_000 }).map((x) => (x / 10_000).toFixed(4));
    await fc.assert(
      fc.asyncProperty(
        fc.array(interval, { maxLength: 10 }),
        fc.array(fc.tuple(fc.constantFrom('eur', 'jpy', 'kwd'), fc.integer({ min: 0, max: 60 }), rate), {
          maxLength: 6,
        }),
        fc.tuple(rate, rate, rate),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        async (ivs, changes, [eur, jpy, kwd], fromDay, len) => {
          await setIntervals(
            ivs.map((i) => ({
              customer: i.customer,
              currency: i.currency,
              from: new Date(base + i.start * 3_600_000),
              to: i.hours === null ? null : new Date(base + (i.start + i.hours) * 3_600_000),
              mrr: i.mrr,
            })),
          );
          const steady: [string, string, string, string][] = [
            ['eur', 'usd', '2025-12-01', eur],
            ['jpy', 'usd', '2025-12-01', jpy],
            ['usd', 'kwd', '2025-12-01', kwd], // KWD only as the inverse pair
          ];
          const day = (n: number) => new Date(base + n * DAY_MS).toISOString().slice(0, 10);
          const from = new Date(base + fromDay * DAY_MS);
          const to = new Date(from.getTime() + len * DAY_MS);
          const q = { from, to, currency: 'usd' };

          await setRates(steady);
          const flat = await revenueSummary(db.pool, q);
          expect(flat.fxEffect).toBe(0);
          // SQL conversion = pure conversion, customer by customer.
          const expected = new Map<string, bigint>();
          const asOf = to.getTime();
          const perCustomer = new Map<string, Map<string, number>>();
          for (const i of ivs) {
            const f = base + i.start * 3_600_000;
            const t = i.hours === null ? null : base + (i.start + i.hours) * 3_600_000;
            if (!(f < asOf && (t === null || t >= asOf))) continue;
            const m = perCustomer.get(i.customer) ?? new Map<string, number>();
            m.set(i.currency, (m.get(i.currency) ?? 0) + i.mrr);
            perCustomer.set(i.customer, m);
          }
          const rates: Record<string, { num: bigint; den: bigint }> = {
            usd: { num: 1n, den: 1n },
            eur: parseDecimal(eur)!,
            jpy: parseDecimal(jpy)!,
            kwd: (() => {
              const r = parseDecimal(kwd)!;
              return { num: r.den, den: r.num };
            })(),
          };
          for (const [customer, m] of perCustomer) {
            // One rounding per customer: sum the exact conversions in a common denominator.
            let num = 0n;
            let den = 1n;
            for (const [cur, amount] of m) {
              const scaled = convertMinor(BigInt(amount) * 10n ** 12n, rates[cur]!, cur, 'usd');
              num = num * 1n + scaled;
              den = 10n ** 12n;
            }
            expected.set(customer, (2n * num + den) / (2n * den));
          }
          const pureTotal = [...expected.values()].reduce((a, b) => a + b, 0n);
          expect(BigInt(flat.mrr)).toBe(pureTotal);

          await setRates([
            ...steady,
            ...changes.map(([c, d, r]): [string, string, string, string] => [c, 'usd', day(d), r]),
          ]);
          const s = await revenueSummary(db.pool, q);
          expect(s.mrr).toBe(s.mrrStart + s.movements.net + s.fxEffect);
          for (const c of s.byCurrency) expect(c.mrr).toBe(c.mrrStart + netMovement(c.movements));
          const days = await movementsSeries(db.pool, { ...q, interval: 'day' });
          expect(days.reduce((sum, d) => sum + d.net, 0)).toBe(s.movements.net);
          const series = await mrrSeries(db.pool, { ...q, interval: 'week' });
          expect(series.at(-1)!.mrr).toBe(s.mrr);
        },
      ),
      // A failure shrinks within the time limit rather than outliving the test (which would race the next ones).
      {
        numRuns: Number(process.env.FX_RUNS ?? 20),
        interruptAfterTimeLimit: 60_000,
        markInterruptAsFailure: true,
      },
    );
  });
});

describe('cancellation: at the end of the final service period (default) or at the request', () => {
  it('is a query-time choice over the same intervals', async () => {
    await db.pool.query('truncate public.fx_rates');
    await setIntervals([
      // Requested on Jan 10, effective at the period end on Feb 1.
      {
        customer: 'a',
        from: D('2025-12-01'),
        to: D('2026-02-01'),
        mrr: 4_000,
        currency: 'usd',
        requested: D('2026-01-10T12:00:00Z'),
      },
      { customer: 'b', from: D('2025-12-01'), to: null, mrr: 1_000, currency: 'usd' },
    ]);
    const q = { from: D('2026-01-01'), to: D('2026-03-01'), currency: 'usd' };
    const end = await revenueSummary(db.pool, q);
    const req = await revenueSummary(db.pool, { ...q, cancellation: 'request' });
    expect([end.mrr, end.movements.churn, req.mrr, req.movements.churn]).toEqual([
      1_000, 4_000, 1_000, 4_000,
    ]);
    expect(req.choices.cancellation).toBe('request');
    expect(req.choiceNotes).toContain('Cancellation: MRR ends when the cancellation is requested');
    const mid = { at: D('2026-01-20'), currency: 'usd' };
    expect((await mrrAt(db.pool, mid)).mrr).toBe(5_000);
    expect((await mrrAt(db.pool, { ...mid, cancellation: 'request' })).mrr).toBe(1_000);
    const churnDay = async (cancellation: 'period_end' | 'request') =>
      (await movementsSeries(db.pool, { ...q, interval: 'day', cancellation })).find((d) => d.churn > 0)
        ?.start;
    expect(await churnDay('period_end')).toBe('2026-02-01T00:00:00.000Z');
    expect(await churnDay('request')).toBe('2026-01-10T00:00:00.000Z');
  });
});

describe('metered prices: usage revenue by default, optionally the last closed period in MRR', () => {
  const T0 = Date.UTC(2026, 0, 1) / 1000;
  const DAY = 86_400;
  const licensed: PlanPrice = {
    id: 'price_seat',
    product: 'prod_api',
    unitAmount: 2_000,
    currency: 'usd',
    interval: 'month',
    intervalCount: 1,
  };
  const metered: PlanPrice = {
    id: 'price_calls',
    product: 'prod_api',
    unitAmount: 1,
    currency: 'usd',
    interval: 'month',
    intervalCount: 1,
  };
  const meteredPrice = (o: Obj): Obj => ({
    ...o,
    recurring: { ...(o.recurring as Obj), usage_type: 'metered' },
  });
  const state: SubscriptionState = {
    id: 'sub_api',
    customer: 'cus_api',
    status: 'active',
    created: T0,
    startDate: T0,
    items: [
      { id: 'si_seat', price: licensed, quantity: 1, created: T0 },
      { id: 'si_calls', price: metered, quantity: 1, created: T0 },
    ],
    currentPeriodStart: T0,
    currentPeriodEnd: T0 + 31 * DAY,
  };
  const f = eventFactory({ prefix: 'met' });
  const sub = subscriptionObject(state, OLD_API_VERSION) as { items: { data: Obj[] } };
  sub.items.data[1] = { ...sub.items.data[1]!, price: meteredPrice(sub.items.data[1]!.price as Obj) };
  const usageInvoice = (n: number, start: number, end: number, usage: number): StripeEvent =>
    f.event(
      'invoice.paid',
      end + 3_600,
      invoiceObject(
        {
          id: `in_met_${n}`,
          customer: 'cus_api',
          subscription: 'sub_api',
          status: 'paid',
          currency: 'usd',
          amountDue: 2_000 + usage,
          amountPaid: 2_000 + usage,
          created: end,
          periodStart: start,
          periodEnd: end,
          paidAt: end + 3_600,
          lines: [
            {
              id: `il_seat_${n}`,
              amount: 2_000,
              priceId: 'price_seat',
              quantity: 1,
              subscriptionItem: 'si_seat',
              periodStart: end,
              periodEnd: end + 28 * DAY,
              description: 'seat',
            },
            {
              id: `il_calls_${n}`,
              amount: usage,
              priceId: 'price_calls',
              quantity: usage,
              subscriptionItem: 'si_calls',
              periodStart: start,
              periodEnd: end,
              description: 'calls',
            },
          ],
        },
        OLD_API_VERSION,
      ),
    );
  const events = [
    f.event('price.created', T0 - DAY, priceObject(licensed, T0 - DAY)),
    f.event('price.created', T0 - DAY, meteredPrice(priceObject(metered, T0 - DAY))),
    f.event('customer.subscription.created', T0, sub),
    usageInvoice(1, T0, T0 + 31 * DAY, 1_234),
    usageInvoice(2, T0 + 31 * DAY, T0 + 59 * DAY, 5_000),
  ];

  it('counts paid metered lines as usage revenue and keeps them out of MRR by default', async () => {
    await resetLedger(db.pool);
    for (const e of events) await applyEventDirect(db.pool, e);
    const q = { from: D('2026-01-01'), to: D('2026-04-01'), currency: 'usd' };
    const s = await revenueSummary(db.pool, q);
    expect(s.mrr).toBe(2_000);
    expect(s.usageRevenue).toEqual({ amount: 6_234, lines: 2 });
    expect(s.choiceNotes).toContain('Metered prices: not MRR; usage revenue reported from paid invoices');
  });

  it("with meteredUsage 'last_period', MRR includes the last closed period's usage from its payment on", async () => {
    const at = (days: number, hours = 0) => new Date((T0 + days * DAY + hours * 3_600) * 1000);
    const mrr = async (t: Date) =>
      (await mrrAt(db.pool, { at: t, currency: 'usd', meteredUsage: 'last_period' })).mrr;
    expect(await mrr(at(20))).toBe(2_000);
    expect(await mrr(at(31, 2))).toBe(2_000 + 1_234);
    expect(await mrr(at(59, 2))).toBe(2_000 + 5_000);
    const s = await revenueSummary(db.pool, {
      from: D('2026-01-01'),
      to: D('2026-04-01'),
      currency: 'usd',
      meteredUsage: 'last_period',
    });
    expect([s.mrr, s.movements.new, s.movements.expansion]).toEqual([7_000, 2_000, 5_000]);
    expect(s.choices.meteredUsage).toBe('last_period');
  });

  it('usage ends with the subscription (and at the request with that option)', async () => {
    const cancel = {
      ...state,
      cancelAtPeriodEnd: true,
      canceledAt: T0 + 70 * DAY,
      currentPeriodStart: T0 + 59 * DAY,
      currentPeriodEnd: T0 + 90 * DAY,
    };
    const o = subscriptionObject(cancel, OLD_API_VERSION) as { items: { data: Obj[] } };
    o.items.data[1] = { ...o.items.data[1]!, price: meteredPrice(o.items.data[1]!.price as Obj) };
    await applyEventDirect(db.pool, f.event('customer.subscription.updated', T0 + 70 * DAY, o));
    const at = (days: number) => new Date((T0 + days * DAY) * 1000);
    const mrr = async (t: Date, cancellation: 'period_end' | 'request') =>
      (await mrrAt(db.pool, { at: t, currency: 'usd', meteredUsage: 'last_period', cancellation })).mrr;
    expect(await mrr(at(80), 'period_end')).toBe(7_000);
    expect(await mrr(at(80), 'request')).toBe(0);
    expect(await mrr(at(95), 'period_end')).toBe(0);
  });

  it('stored rates are listed newest first', async () => {
    await setRates([
      ['eur', 'usd', '2026-01-01', '1.1'],
      ['gbp', 'usd', '2026-02-01', '1.25'],
    ]);
    const again = await upsertFxRates(db.pool, [
      { base: 'eur', quote: 'usd', date: '2026-01-01', rate: '1.2' },
    ]);
    expect(again).toEqual({ ok: true, value: { inserted: 0, updated: 1 } });
    expect((await listFxRates(db.pool)).map((r) => [r.base, r.rateDate, r.rate])).toEqual([
      ['gbp', '2026-02-01', '1.2500000000'],
      ['eur', '2026-01-01', '1.2000000000'],
    ]);
    const bad = await upsertFxRates(db.pool, [{ base: 'eur', quote: 'usd', date: '2026-13-01', rate: '1' }]);
    expect(bad.ok).toBe(false);
  });
});
