import { withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStripeObjects, mrrAt } from '../src/index.ts';
import {
  customerDiscountObject,
  customerObject,
  discountObject,
  eventFactory,
  NEW_API_VERSION,
  OLD_API_VERSION,
  type PlanPrice,
  type StripeEvent,
  type SubscriptionState,
  seededRandom,
  shuffle,
  simulateStripeEvents,
  subscriptionObject,
} from '../src/testing/index.ts';
import { applyEventDirect, canonicalDump, resetLedger } from './support/ledger.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const DAY = 86_400;
const T0 = Date.UTC(2026, 0, 1) / 1000;
const at = (days: number) => new Date((T0 + days * DAY) * 1000);
const price: PlanPrice = {
  id: 'price_m',
  product: 'prod_x',
  unitAmount: 4000,
  currency: 'usd',
  interval: 'month',
  intervalCount: 1,
};

async function applyAll(events: StripeEvent[]): Promise<string> {
  await resetLedger(db.pool);
  for (const e of events) await applyEventDirect(db.pool, e);
  return canonicalDump(db.pool);
}

describe('customer-level discounts (customer.discount.*)', () => {
  const f = eventFactory({ prefix: 'cd' });
  const base: SubscriptionState = {
    id: 'sub_plain',
    customer: 'cus_d',
    status: 'active',
    created: T0,
    startDate: T0,
    items: [{ id: 'si_plain', price, quantity: 1, created: T0 }],
    currentPeriodStart: T0,
    currentPeriodEnd: T0 + 31 * DAY,
  };
  const own: SubscriptionState = {
    ...base,
    id: 'sub_own',
    items: [{ id: 'si_own', price, quantity: 1, created: T0 }],
    coupon: { id: 'OWN10', percentOff: 10, duration: 'forever' },
    discountStart: T0,
  };
  const loyal = customerDiscountObject({
    id: 'di_cus_loyal',
    customer: 'cus_d',
    coupon: { id: 'LOYAL25', percentOff: 25, duration: 'forever' },
    start: T0 + 10 * DAY,
  });
  const events = [
    f.event('customer.created', T0, customerObject('cus_d', 'd@example.test', 'D', T0)),
    f.event('customer.subscription.created', T0, subscriptionObject(base, OLD_API_VERSION)),
    f.event('customer.subscription.created', T0, subscriptionObject(own, OLD_API_VERSION)),
    f.event('customer.discount.created', T0, discountObject(own)!),
    f.event('customer.discount.created', T0 + 10 * DAY, loyal),
    f.event('customer.discount.deleted', T0 + 20 * DAY, loyal),
  ];

  it('reduce the MRR of subscriptions without a discount of their own while attached', async () => {
    await applyAll(events);
    const mrr = async (days: number) => (await mrrAt(db.pool, { at: at(days), currency: 'usd' })).mrr;
    // sub_plain 4000 + sub_own 3600, then sub_plain at 25% off while the customer discount is attached.
    expect(await mrr(5)).toBe(7600);
    expect(await mrr(15)).toBe(3000 + 3600);
    expect(await mrr(25)).toBe(7600);
    const versions = await db.pool.query(
      'select discount_id, deleted from public.stripe_customer_discount_versions order by src_at',
    );
    expect(versions.rows).toEqual([
      { discount_id: 'di_cus_loyal', deleted: false },
      { discount_id: 'di_cus_loyal', deleted: true },
    ]);
  });

  it('end in the same ledger whatever the order (the discount before the subscription, reversed, duplicated)', async () => {
    const reference = await applyAll(events);
    expect(await applyAll([...events].reverse())).toBe(reference);
    expect(await applyAll([events[4]!, events[5]!, ...events, events[4]!])).toBe(reference);
  });

  it('a discount on a subscription (customer.discount.* with subscription set) is not a customer discount', async () => {
    await applyAll(events.slice(0, 4));
    const n = await db.pool.query('select count(*)::int as n from public.stripe_customer_discount_versions');
    expect(n.rows[0].n).toBe(0);
  });
});

describe.each([OLD_API_VERSION, NEW_API_VERSION])(
  'simulated streams with customer discounts (API %s)',
  (apiVersion) => {
    const events = simulateStripeEvents({
      seed: 21,
      customers: 10,
      start: T0,
      days: 150,
      apiVersion,
      customerDiscounts: 0.7,
    });
    let reference = '';

    it('the generator emits customer discount events and they change MRR', async () => {
      const types = new Set(events.map((e) => e.type));
      expect(types).toContain('customer.discount.created');
      expect(types).toContain('customer.discount.deleted');
      expect(types).toContain('customer.discount.updated');
      reference = await applyAll(events);
      const withDiscounts = await db.pool.query(
        'select coalesce(sum(mrr * extract(epoch from coalesce(valid_to, $1) - valid_from)), 0)::float8 as area from public.billing_mrr_intervals',
        [at(150)],
      );
      await applyAll(
        events.filter((e) => !(e.type.startsWith('customer.discount.') && !e.data.object.subscription)),
      );
      const without = await db.pool.query(
        'select coalesce(sum(mrr * extract(epoch from coalesce(valid_to, $1) - valid_from)), 0)::float8 as area from public.billing_mrr_intervals',
        [at(150)],
      );
      expect(withDiscounts.rows[0].area).toBeLessThan(without.rows[0].area);
    });

    it('any permutation with any duplicates ends in the same ledger', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 30 }),
          fc.integer(),
          async (dups, seed) => {
            const delivered = shuffle([...events, ...dups.map((i) => events[i]!)], seededRandom(seed));
            expect(await applyAll(delivered)).toBe(reference);
          },
        ),
        { numRuns: 3 },
      );
    });

    it('set-based application in random batches ends in the same ledger', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer(), async (size, seed) => {
          const delivered = shuffle(events, seededRandom(seed));
          await resetLedger(db.pool);
          for (let i = 0; i < delivered.length; i += size) {
            await withTransaction(db.pool, async (client) => {
              const results = await applyStripeObjects(
                client,
                delivered.slice(i, i + size).map((e) => ({
                  object: e.data.object,
                  options: {
                    observedAt: new Date(e.created * 1000),
                    sourceEventId: e.id,
                    deleted: e.type.endsWith('.deleted'),
                  },
                })),
              );
              expect(results.every((r) => r.ok)).toBe(true);
            });
          }
          expect(await canonicalDump(db.pool)).toBe(reference);
        }),
        { numRuns: 3 },
      );
    });
  },
);
