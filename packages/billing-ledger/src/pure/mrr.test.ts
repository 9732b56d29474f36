import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ItemSnapshot,
  itemPeriodAmount,
  type SubscriptionSnapshot,
  type SubscriptionVersion,
  subscriptionIntervals,
  subscriptionMrrAt,
} from './mrr.ts';

const DAY = 86_400;
const T0 = 1_767_225_600; // 2026-01-01

const item = (over: Partial<ItemSnapshot> = {}): ItemSnapshot => ({
  id: 'si_1',
  priceId: 'price_1',
  quantity: 1,
  currency: 'usd',
  unitAmount: 2000,
  unitAmountDecimal: null,
  interval: 'month',
  intervalCount: 1,
  usageType: 'licensed',
  billingScheme: 'per_unit',
  tiersMode: null,
  tiers: null,
  transformQuantity: null,
  ...over,
});

const sub = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  id: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  currency: 'usd',
  created: T0,
  startDate: T0,
  trialStart: null,
  trialEnd: null,
  currentPeriodStart: T0,
  currentPeriodEnd: T0 + 31 * DAY,
  cancelAtPeriodEnd: false,
  cancelAt: null,
  canceledAt: null,
  endedAt: null,
  items: [item()],
  discounts: [],
  ...over,
});

const v = (
  at: number,
  snapshot: SubscriptionSnapshot,
  rank = 20,
  eventId = `evt_${at}`,
): SubscriptionVersion => ({ at, rank, eventId, snapshot });

describe('item amounts', () => {
  it('per unit x quantity, transform_quantity', () => {
    expect(itemPeriodAmount(item({ quantity: 3 }))).toBe(6000n);
    expect(itemPeriodAmount(item({ quantity: 11, transformQuantity: { divideBy: 5, round: 'up' } }))).toBe(
      6000n,
    );
    expect(itemPeriodAmount(item({ unitAmount: null, unitAmountDecimal: '12.5', quantity: 3 }))).toBe(38n);
  });
  it('tiered prices bill what Stripe would bill for the quantity', () => {
    const tiers = [
      { upTo: 5, unitAmount: 1000, flatAmount: 0 },
      { upTo: 10, unitAmount: 800, flatAmount: 500 },
      { upTo: null, unitAmount: 500, flatAmount: 0 },
    ];
    expect(
      itemPeriodAmount(item({ billingScheme: 'tiered', tiersMode: 'graduated', tiers, quantity: 12 })),
    ).toBe(5n * 1000n + 5n * 800n + 500n + 2n * 500n);
    expect(itemPeriodAmount(item({ billingScheme: 'tiered', tiersMode: 'volume', tiers, quantity: 7 }))).toBe(
      7n * 800n + 500n,
    );
  });
});

describe('subscriptionMrrAt', () => {
  it('trials are 0 until trial end, past_due keeps MRR, canceled/unpaid are 0, metered is not MRR', () => {
    const trial = sub({ status: 'trialing', trialStart: T0, trialEnd: T0 + 14 * DAY });
    expect(subscriptionMrrAt(trial, T0 + DAY).get('si_1')).toBe(0);
    expect(subscriptionMrrAt(trial, T0 + 14 * DAY).get('si_1')).toBe(2000);
    expect(subscriptionMrrAt(sub({ status: 'past_due' }), T0).get('si_1')).toBe(2000);
    expect(subscriptionMrrAt(sub({ status: 'unpaid' }), T0).get('si_1')).toBe(0);
    expect(subscriptionMrrAt(sub({ status: 'canceled', endedAt: T0 }), T0).get('si_1')).toBe(0);
    expect(subscriptionMrrAt(sub({ items: [item({ usageType: 'metered' })] }), T0).get('si_1')).toBe(0);
  });
  it('annual plans are divided by 12; forever coupons reduce MRR, once coupons do not', () => {
    expect(
      subscriptionMrrAt(sub({ items: [item({ unitAmount: 24000, interval: 'year' })] }), T0).get('si_1'),
    ).toBe(2000);
    const pct = { id: 'di_1', percentOff: 50, amountOff: null, currency: null, start: T0, end: null };
    expect(subscriptionMrrAt(sub({ discounts: [{ ...pct, duration: 'forever' }] }), T0).get('si_1')).toBe(
      1000,
    );
    expect(subscriptionMrrAt(sub({ discounts: [{ ...pct, duration: 'once' }] }), T0).get('si_1')).toBe(2000);
    expect(
      subscriptionMrrAt(sub({ discounts: [{ ...pct, percentOff: 100, duration: 'forever' }] }), T0).get(
        'si_1',
      ),
    ).toBe(0);
    const amt = {
      id: 'di_2',
      percentOff: null,
      amountOff: 500,
      currency: 'usd',
      duration: 'repeating' as const,
      start: T0,
      end: T0 + 90 * DAY,
    };
    expect(subscriptionMrrAt(sub({ discounts: [amt] }), T0 + DAY).get('si_1')).toBe(1500);
    expect(subscriptionMrrAt(sub({ discounts: [amt] }), T0 + 90 * DAY).get('si_1')).toBe(2000);
  });
  it('cancel at period end keeps MRR until the period ends', () => {
    const s = sub({ cancelAtPeriodEnd: true, canceledAt: T0 + DAY });
    expect(subscriptionMrrAt(s, T0 + 30 * DAY).get('si_1')).toBe(2000);
    expect(subscriptionMrrAt(s, T0 + 31 * DAY).get('si_1')).toBe(0);
  });
});

describe('subscriptionIntervals', () => {
  it('follows upgrades, trials and cancellation', () => {
    const versions = [
      v(T0, sub({ status: 'trialing', trialStart: T0, trialEnd: T0 + 14 * DAY })),
      v(T0 + 14 * DAY, sub({ status: 'active' })),
      v(T0 + 40 * DAY, sub({ items: [item({ unitAmount: 5000 })] })),
      v(
        T0 + 60 * DAY,
        sub({
          items: [item({ unitAmount: 5000 })],
          cancelAtPeriodEnd: true,
          currentPeriodEnd: T0 + 71 * DAY,
        }),
      ),
    ];
    expect(
      subscriptionIntervals(versions).map((i) => [
        i.validFrom - T0,
        i.validTo === null ? null : i.validTo - T0,
        i.mrr,
      ]),
    ).toEqual([
      [14 * DAY, 40 * DAY, 2000],
      [40 * DAY, 71 * DAY, 5000],
    ]);
  });
  it('depends only on the set of versions (any order, duplicates)', () => {
    const arb = fc.array(
      fc.record({
        day: fc.integer({ min: 0, max: 60 }),
        status: fc.constantFrom('active', 'trialing', 'past_due', 'canceled', 'unpaid') as fc.Arbitrary<
          SubscriptionSnapshot['status']
        >,
        amount: fc.integer({ min: 0, max: 10_000 }),
        qty: fc.integer({ min: 1, max: 5 }),
        id: fc.integer({ min: 0, max: 3 }),
      }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(arb, fc.integer(), (specs, seed) => {
        // Same key <=> same event <=> same content; duplicates are exact copies.
        const versions = specs.map((s, i) =>
          v(
            T0 + s.day * DAY,
            sub({
              status: s.status,
              trialEnd: T0 + 5 * DAY,
              items: [item({ unitAmount: s.amount, quantity: s.qty })],
            }),
            s.id,
            `evt_${i}`,
          ),
        );
        const unique = new Map(versions.map((x) => [`${x.at}/${x.rank}/${x.eventId}`, x]));
        const set = [...unique.values()];
        const shuffled = [...versions, ...versions.slice(0, 2)].sort(
          (a, b) => ((a.at * 31 + b.rank * 7 + seed) % 3) - 1,
        );
        const dedupShuffled = [
          ...new Map(shuffled.map((x) => [`${x.at}/${x.rank}/${x.eventId}`, x])).values(),
        ];
        expect(subscriptionIntervals(dedupShuffled)).toEqual(subscriptionIntervals(set));
      }),
    );
  });
  it('intervals never overlap per item and have positive MRR', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 9000 })), {
          minLength: 1,
          maxLength: 10,
        }),
        (specs) => {
          const ivs = subscriptionIntervals(
            specs.map(([d, a], i) =>
              v(T0 + d * DAY, sub({ items: [item({ unitAmount: a })] }), 20, `evt_${i}`),
            ),
          );
          for (let i = 1; i < ivs.length; i++)
            expect(ivs[i]!.validFrom).toBeGreaterThanOrEqual(ivs[i - 1]!.validTo!);
          for (const iv of ivs) expect(iv.mrr).toBeGreaterThan(0);
        },
      ),
    );
  });
});
