import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CustomerDiscountVersion,
  cancellationRequestedAt,
  customerDiscountSpans,
  type DiscountSnapshot,
  effectiveDiscounts,
  type ItemSnapshot,
  itemPeriodAmount,
  itemPeriodAmountExact,
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
    // Exact decimals, never binary floats: 0.285 x 100 = 28.5 -> 29 (as a float product, 28.4999...).
    expect(itemPeriodAmount(item({ unitAmount: null, unitAmountDecimal: '0.285', quantity: 100 }))).toBe(29n);
    expect(
      itemPeriodAmountExact(item({ unitAmount: null, unitAmountDecimal: '1234.50', quantity: 3 })),
    ).toEqual({
      num: 370350n,
      den: 100n,
    });
  });
  it('decimal unit amounts are rounded once, after normalisation', () => {
    const at = T0 + DAY;
    const snap = (unitAmountDecimal: string, interval: 'month' | 'year', quantity = 1) =>
      sub({ items: [item({ unitAmount: null, unitAmountDecimal, interval, quantity })] });
    // 4898.5 x 3 = 14695.5 -> 14696 (half-up).
    expect(subscriptionMrrAt(snap('4898.5', 'month', 3), at).get('si_1')).toBe(14696);
    // 58781.5 / 12 = 4898.458... -> 4898 (rounding the year's amount first would give 58782 / 12 = 4898.5 -> 4899).
    expect(subscriptionMrrAt(snap('58781.5', 'year'), at).get('si_1')).toBe(4898);
    // An amount off (whole minor units) comes off the exact amounts, item after item.
    const off = {
      id: 'di_3',
      percentOff: null,
      amountOff: 1500,
      currency: 'usd',
      duration: 'forever' as const,
      start: T0,
      end: null,
    };
    const two = sub({
      discounts: [off],
      items: [
        item({ id: 'si_a', unitAmount: null, unitAmountDecimal: '1025.25' }),
        item({ id: 'si_b', unitAmount: null, unitAmountDecimal: '1025.25' }),
      ],
    });
    // si_a: 1025.25 - 1025.25 = 0 (474.75 left); si_b: 1025.25 - 474.75 = 550.5 -> 551.
    expect(Object.fromEntries(subscriptionMrrAt(two, at))).toEqual({ si_a: 0, si_b: 551 });
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

describe('cancellation at request (cancelRequestedAt on the intervals)', () => {
  const base = [v(T0, sub()), v(T0 + 10 * DAY, sub({ cancelAtPeriodEnd: true, canceledAt: T0 + 10 * DAY }))];
  it('intervals cut short by a standing cancellation carry the request instant', () => {
    const ivs = subscriptionIntervals(base);
    expect(ivs.map((i) => [i.validFrom - T0, i.validTo! - T0, i.mrr, i.cancelRequestedAt! - T0])).toEqual([
      [0, 31 * DAY, 2000, 10 * DAY],
    ]);
  });
  it('a withdrawn request leaves no trace; a later one counts from its own time', () => {
    const withdrawn = [...base, v(T0 + 20 * DAY, sub({ canceledAt: T0 + 10 * DAY }))];
    expect(subscriptionIntervals(withdrawn).map((i) => i.cancelRequestedAt)).toEqual([null]);
    const again = [
      ...withdrawn,
      v(T0 + 25 * DAY, sub({ cancelAtPeriodEnd: true, canceledAt: T0 + 25 * DAY }), 20, 'evt_again'),
    ];
    expect(subscriptionIntervals(again).map((i) => i.cancelRequestedAt! - T0)).toEqual([25 * DAY]);
  });
  it('without canceled_at the request is the first version of the trailing run that had it', () => {
    const versions = [
      v(T0, sub()),
      v(T0 + 5 * DAY, sub({ cancelAt: T0 + 40 * DAY })),
      v(T0 + 8 * DAY, sub({ cancelAt: T0 + 40 * DAY, items: [item({ quantity: 2 })] })),
    ];
    expect(cancellationRequestedAt(versions)! - T0).toBe(5 * DAY);
    const ivs = subscriptionIntervals(versions);
    // Both the interval before the upgrade and the one after end at the request under the option.
    expect(ivs.map((i) => [i.validFrom - T0, i.validTo! - T0, i.cancelRequestedAt! - T0])).toEqual([
      [0, 8 * DAY, 5 * DAY],
      [8 * DAY, 40 * DAY, 5 * DAY],
    ]);
  });
  it('intervals that ended before the request keep no request instant', () => {
    const versions = [
      v(T0, sub()),
      v(T0 + 5 * DAY, sub({ status: 'unpaid' })),
      v(T0 + 9 * DAY, sub({ status: 'canceled', canceledAt: T0 + 9 * DAY, endedAt: T0 + 9 * DAY })),
    ];
    expect(subscriptionIntervals(versions).map((i) => [i.validTo! - T0, i.cancelRequestedAt])).toEqual([
      [5 * DAY, null],
    ]);
  });
});

describe('customer-level discounts', () => {
  const pct = (
    id: string,
    percentOff: number,
    start: number,
    over: Partial<Omit<DiscountSnapshot, 'id'>> = {},
  ): DiscountSnapshot & { id: string } => ({
    percentOff,
    amountOff: null,
    currency: null,
    duration: 'forever',
    start,
    end: null,
    ...over,
    id,
  });
  const cv = (
    at: number,
    discount: DiscountSnapshot & { id: string },
    deleted = false,
    eventId = `evt_c${at}${deleted ? 'd' : ''}`,
  ): CustomerDiscountVersion => ({ at, rank: deleted ? 9 : 0, eventId, deleted, discount });

  it('spans run from the start to the earliest of the end and the deletion', () => {
    const spans = customerDiscountSpans([
      cv(T0 + DAY, pct('di_a', 20, T0 + DAY)),
      cv(T0 + 30 * DAY, pct('di_a', 20, T0 + DAY), true),
      cv(T0 + 40 * DAY, pct('di_b', 50, T0 + 40 * DAY, { duration: 'repeating', end: T0 + 100 * DAY })),
    ]);
    expect(spans.map((s) => [s.id, s.from - T0, s.to === null ? null : s.to - T0])).toEqual([
      ['di_a', DAY, 30 * DAY],
      ['di_b', 40 * DAY, 100 * DAY],
    ]);
  });
  it('apply only where the subscription has no discount of its own; the latest attached wins', () => {
    const spans = customerDiscountSpans([
      cv(T0, pct('di_a', 20, T0)),
      cv(T0 + 10 * DAY, pct('di_b', 50, T0 + 10 * DAY)),
    ]);
    expect(effectiveDiscounts(sub(), T0 + DAY, spans).map((d) => d.id)).toEqual(['di_a']);
    expect(effectiveDiscounts(sub(), T0 + 11 * DAY, spans).map((d) => d.id)).toEqual(['di_b']);
    const own = sub({ discounts: [pct('di_own', 10, T0, { end: T0 + 20 * DAY })] });
    expect(effectiveDiscounts(own, T0 + 11 * DAY, spans).map((d) => d.id)).toEqual(['di_own']);
    // The subscription's own discount ended: the customer's applies again.
    expect(effectiveDiscounts(own, T0 + 21 * DAY, spans).map((d) => d.id)).toEqual(['di_b']);
    expect(subscriptionMrrAt(own, T0 + 11 * DAY, spans).get('si_1')).toBe(1800);
    expect(subscriptionMrrAt(own, T0 + 21 * DAY, spans).get('si_1')).toBe(1000);
  });
  it('once coupons do not reduce MRR; a removal restores it (intervals split at the boundaries)', () => {
    const spans = customerDiscountSpans([
      cv(T0 + 5 * DAY, pct('di_a', 25, T0 + 5 * DAY)),
      cv(T0 + 15 * DAY, pct('di_a', 25, T0 + 5 * DAY), true),
      cv(T0 + 20 * DAY, pct('di_o', 50, T0 + 20 * DAY, { duration: 'once' })),
    ]);
    const ivs = subscriptionIntervals([v(T0, sub())], { customerDiscounts: spans });
    expect(ivs.map((i) => [i.validFrom - T0, i.validTo === null ? null : i.validTo - T0, i.mrr])).toEqual([
      [0, 5 * DAY, 2000],
      [5 * DAY, 15 * DAY, 1500],
      [15 * DAY, null, 2000],
    ]);
  });
  it('a replacement in the same second as the old discount is deleted keeps the new one', () => {
    const t = T0 + 10 * DAY;
    const versions = [
      cv(T0, pct('di_a', 20, T0)),
      cv(t, pct('di_b', 50, t), false, 'evt_z'),
      cv(t, pct('di_a', 20, T0), true, 'evt_a'),
    ];
    const spans = customerDiscountSpans(versions);
    expect(effectiveDiscounts(sub(), t + 1, spans).map((d) => d.id)).toEqual(['di_b']);
  });
  it('intervals depend only on the sets of versions (any order, duplicates)', () => {
    const discount = fc.record({
      id: fc.constantFrom('di_a', 'di_b', 'di_c'),
      day: fc.integer({ min: 0, max: 60 }),
      pct: fc.constantFrom(10, 25, 100),
      duration: fc.constantFrom('forever', 'once', 'repeating') as fc.Arbitrary<DiscountSnapshot['duration']>,
      deleted: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(discount, { maxLength: 6 }),
        fc.array(fc.record({ day: fc.integer({ min: 0, max: 60 }), qty: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer(),
        (ds, ss, seed) => {
          // One discount id has one start and terms; versions differ by time and deletion.
          const versions = ds.map((d, i) =>
            cv(
              T0 + d.day * DAY,
              pct(d.id, d.pct, T0 + (d.id === 'di_a' ? 3 : d.id === 'di_b' ? 12 : 30) * DAY, {
                duration: d.id === 'di_c' ? 'repeating' : 'forever',
                end: d.id === 'di_c' ? T0 + 50 * DAY : null,
              }),
              d.deleted,
              `evt_${i}`,
            ),
          );
          const subs = ss.map((x, i) =>
            v(T0 + x.day * DAY, sub({ items: [item({ quantity: x.qty })] }), 20, `evt_s${i}`),
          );
          const reference = subscriptionIntervals(subs, {
            customerDiscounts: customerDiscountSpans(versions),
          });
          const shuffled = [...versions, ...versions.slice(0, 2)].sort(
            (a, b) => ((a.at * 17 + b.at + seed) % 5) - 2,
          );
          const dedup = [...new Map(shuffled.map((x) => [`${x.at}/${x.rank}/${x.eventId}`, x])).values()];
          expect(
            subscriptionIntervals([...subs].reverse(), { customerDiscounts: customerDiscountSpans(dedup) }),
          ).toEqual(reference);
        },
      ),
    );
  });
});
