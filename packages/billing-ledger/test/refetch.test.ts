import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectFetcher, processEvent } from '../src/processing/processor.ts';
import { stripeObjectFetcher } from '../src/processing/refetch.ts';
import { defaultEventRegistry } from '../src/processing/registry.ts';
import { type LedgerQueue, startQueue } from '../src/queue.ts';
import { receiveEvent } from '../src/store/inbox.ts';
import { parseEvent } from '../src/stripe/parse.ts';
import {
  customerObject,
  eventFactory,
  NEW_API_VERSION,
  OLD_API_VERSION,
  type PlanPrice,
  priceObject,
  productObject,
  type StripeEvent,
  simulateStripeEvents,
  subscriptionObject,
} from '../src/testing/index.ts';
import { type FakeStripe, type StripeObject, startFakeStripe } from './support/fake-stripe.ts';
import { canonicalDump, resetLedger } from './support/ledger.ts';

// LEDGER_REFETCH=always: the processor re-reads each event's object through the Stripe SDK
// instead of trusting the payload. Delivered in order, with Stripe's state advancing with the
// stream, that must give exactly the ledger the payloads give.

let db: TestDatabase;
let queue: LedgerQueue;
let fake: FakeStripe;
beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool);
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake?.close();
  await queue?.stop();
  await db?.drop();
});

const START = Date.UTC(2026, 0, 1) / 1000;
const DAY = 86_400;

/** Prices billed in fractions of a cent: no `unit_amount`, a decimal string only. */
const monthly: PlanPrice = {
  id: 'price_dec_m',
  product: 'prod_dec',
  unitAmount: 0,
  currency: 'usd',
  interval: 'month',
  intervalCount: 1,
};
const yearly: PlanPrice = { ...monthly, id: 'price_dec_y', interval: 'year' };
const decimals: Record<string, string> = { price_dec_m: '4898.5', price_dec_y: '58781.5' };

/** Gives every embedded copy of the decimal prices (items, plans) their decimal amounts. */
function decimalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decimalise);
  if (value === null || typeof value !== 'object') return value;
  const o = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decimalise(v)]));
  const d = typeof o.id === 'string' ? decimals[o.id] : undefined;
  if (d && o.object === 'price') Object.assign(o, { unit_amount: null, unit_amount_decimal: d });
  if (d && o.object === 'plan') Object.assign(o, { amount: null, amount_decimal: d });
  return o;
}

function decimalEvents(apiVersion: string, prefix: string): StripeEvent[] {
  const f = eventFactory({ apiVersion, prefix });
  const t = START + 3 * DAY;
  const state = {
    id: `sub_${prefix}`,
    customer: `cus_${prefix}`,
    status: 'active' as const,
    created: t,
    startDate: t,
    items: [
      { id: `si_${prefix}_m`, price: monthly, quantity: 3, created: t },
      { id: `si_${prefix}_y`, price: yearly, quantity: 1, created: t },
    ],
    currentPeriodStart: t,
    currentPeriodEnd: t + 30 * DAY,
  };
  const events = [
    f.event('product.created', START, productObject('prod_dec', 'Metered seats', START)),
    f.event('price.created', START, priceObject(monthly, START)),
    f.event('price.created', START, priceObject(yearly, START)),
    f.event('customer.created', t, customerObject(`cus_${prefix}`, `${prefix}@example.test`, 'Dec', t)),
    f.event('customer.subscription.created', t, subscriptionObject(state, apiVersion)),
    f.event(
      'customer.subscription.updated',
      t + 10 * DAY,
      subscriptionObject(
        { ...state, items: [{ ...state.items[0]!, quantity: 2 }, state.items[1]!] },
        apiVersion,
      ),
    ),
  ];
  return events.map((e) => decimalise(e) as StripeEvent);
}

const envelope = (e: StripeEvent) => {
  const p = parseEvent(e);
  if (!p.ok) throw p.error;
  return p.value;
};

/** Receives and processes the events one by one, in order; with a fetcher, Stripe first holds each event's object. */
async function ledgerOf(events: StripeEvent[], fetchObject?: ObjectFetcher): Promise<string> {
  await resetLedger(db.pool);
  for (const e of events) {
    if (fetchObject) fake.put(e.data.object as StripeObject);
    await receiveEvent(db.pool, envelope(e), JSON.stringify(e));
    const outcome = await processEvent(db.pool, e.id, { registry: defaultEventRegistry(), fetchObject });
    if (outcome.status === 'error') throw outcome.error;
    expect(['processed', 'ignored']).toContain(outcome.status);
  }
  return canonicalDump(db.pool);
}

describe.each([OLD_API_VERSION, NEW_API_VERSION])(
  're-fetching objects from Stripe (API %s)',
  (apiVersion) => {
    const prefix = `rf${apiVersion.slice(0, 4)}`;
    const events = [
      ...decimalEvents(apiVersion, `${prefix}d`),
      ...simulateStripeEvents({ seed: 11, customers: 4, start: START, days: 90, apiVersion, prefix }),
    ];

    it('the SDK hands decimal strings over as Decimal objects (the processor turns them back into wire JSON)', async () => {
      fake.put(decimalise(priceObject(monthly, START)) as StripeObject);
      const price = await fake.client().prices.retrieve('price_dec_m');
      expect(typeof price.unit_amount_decimal).not.toBe('string');
      expect(JSON.parse(JSON.stringify(price)).unit_amount_decimal).toBe('4898.5');
    });

    it('gives the same ledger as trusting the payloads, decimal prices included', async () => {
      const trusted = await ledgerOf(events);
      const before = fake.requests.length;
      const refetched = await ledgerOf(events, stripeObjectFetcher(fake.client()));
      // Every event's object was read back from Stripe (discounts have no endpoint of their own).
      const fetchable = events.filter((e) => e.data.object.object !== 'discount').length;
      expect(fake.requests.slice(before).filter((r) => r.method === 'GET').length).toBe(fetchable);
      expect(refetched).toBe(trusted);

      const price = await db.pool.query(
        `select unit_amount, raw->>'unit_amount_decimal' as decimal from public.stripe_prices where id = 'price_dec_m'`,
      );
      expect(price.rows[0]).toEqual({ unit_amount: null, decimal: '4898.5' });
      // MRR rounds half-up once, after normalisation (METRICS.md): 4898.5 x 3 = 14695.5 -> 14696,
      // then 4898.5 x 2 = 9797; 58781.5 / 12 = 4898.458... -> 4898.
      const mrr = await db.pool.query(
        `select item_id, mrr::int as mrr from public.billing_mrr_intervals where subscription_id = $1 order by item_id, valid_from`,
        [`sub_${prefix}d`],
      );
      expect(mrr.rows).toEqual([
        { item_id: `si_${prefix}d_m`, mrr: 14696 },
        { item_id: `si_${prefix}d_m`, mrr: 9797 },
        { item_id: `si_${prefix}d_y`, mrr: 4898 },
      ]);
    });

    it('an object Stripe no longer has falls back to the payload; other Stripe failures retry the event', async () => {
      const fetch = stripeObjectFetcher(fake.client({ maxNetworkRetries: 0 }));
      expect(await fetch({ id: 'cus_gone', object: 'customer' })).toBeNull();
      fake.failNext(1, { status: 500 });
      fake.put(customerObject('cus_here', 'here@example.test', 'Here', START) as StripeObject);
      await expect(fetch({ id: 'cus_here', object: 'customer' })).rejects.toThrow();
      expect(await fetch({ id: 'di_x', object: 'discount' })).toBeNull();
    });
  },
);
