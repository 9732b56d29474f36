import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillStripe } from '../src/backfill/stripe-backfill.ts';
import { createStripeApi } from '../src/stripe-api/client.ts';
import { type FakeStripe, startFakeStripe } from './support/fake-stripe.ts';
import { ledgerDump } from './support/ledger-dump.ts';

const NOW = 1_763_700_000;
const asOf = new Date(NOW * 1000);
let fake: FakeStripe;
let a: TestDatabase;
let b: TestDatabase;
beforeAll(async () => {
  fake = await startFakeStripe({ now: NOW });
  fake.seed({ customers: 30, days: 150, seed: 11, events: false });
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await fake.close();
  await Promise.all([a.drop(), b.drop()]);
});

const count = async (db: TestDatabase, table: string) =>
  (await db.pool.query(`select count(*)::int as n from public.${table}`)).rows[0].n as number;

describe('Stripe backfill', () => {
  it('--dry-run lists and validates everything and writes nothing', async () => {
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const r = await backfillStripe(a.pool, api, { days: 90, asOf, dryRun: true, pageSize: 25 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.runId).toBeNull();
    expect(r.value.totals.errors).toBe(0);
    expect(r.value.totals.inserted).toBe(r.value.totals.listed);
    for (const t of [
      'stripe_customers',
      'stripe_invoices',
      'stripe_backfill_runs',
      'stripe_backfill_cursors',
    ])
      expect(await count(a, t)).toBe(0);
  });

  it('upserts through the webhook mapping, only the window for transactional objects, idempotently', async () => {
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const r = await backfillStripe(a.pool, api, { days: 90, asOf, pageSize: 25 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const by = Object.fromEntries(r.value.resources.map((x) => [x.resource, x]));
    const inWindow = fake.all('invoice').filter((i) => i.created >= NOW - 90 * 86400).length;
    expect(by.invoices!.listed).toBe(inWindow);
    expect(inWindow).toBeLessThan(fake.all('invoice').length);
    expect(by.customers!.listed).toBe(30);
    expect(by.subscriptions!.listed).toBe(fake.all('subscription').length);
    expect(r.value.totals.errors).toBe(0);
    expect(r.value.totals.inserted).toBe(r.value.totals.listed);
    expect(await count(a, 'stripe_invoices')).toBe(inWindow);

    const before = await ledgerDump(a.pool);
    const again = await backfillStripe(a.pool, api, { days: 90, asOf, pageSize: 25 });
    expect(again.ok && again.value.totals.inserted).toBe(0);
    expect(await ledgerDump(a.pool)).toEqual(before);
  });

  it('backs off on 429 with Retry-After and resumes a failed run from its cursors to the same end state', async () => {
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    fake.failNext(2, { status: 429, retryAfter: 1, path: /^\/v1\/customers$/ });
    fake.failNext(1, {
      status: 400,
      type: 'invalid_request_error',
      message: 'boom',
      path: /^\/v1\/payment_intents$/,
    });
    const failed = await backfillStripe(b.pool, api, { days: 90, asOf, pageSize: 25 });
    expect(failed.ok === false && failed.error).toMatchObject({ code: 'stripe_error' });
    expect(api.stats.rateLimited).toBe(2);
    const { rows } = await b.pool.query(
      `select resource, done from public.stripe_backfill_cursors order by resource`,
    );
    expect(rows.find((x) => x.resource === 'customers')?.done).toBe(true);
    expect(rows.find((x) => x.resource === 'payment_intents')?.done).toBe(false);

    const resumed = await backfillStripe(b.pool, api, {
      days: 90,
      asOf: new Date(),
      resume: true,
      pageSize: 25,
    });
    expect(resumed.ok && resumed.value).toMatchObject({ resumed: true, asOf: asOf.toISOString() });
    expect(resumed.ok && resumed.value.resources.find((x) => x.resource === 'customers')?.listed).toBe(0);
    expect(await ledgerDump(b.pool)).toEqual(await ledgerDump(a.pool));
    const runs = await b.pool.query('select status from public.stripe_backfill_runs');
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  });

  it('keeps to the request rate', async () => {
    const api = createStripeApi(fake.client(), { perSecond: 20 });
    const before = fake.requests.length;
    const started = Date.now();
    await backfillStripe(b.pool, api, {
      days: 90,
      asOf,
      dryRun: true,
      pageSize: 10,
      resources: ['customers', 'products', 'prices', 'subscriptions'],
    });
    const sent = fake.requests.slice(before);
    // n requests at 20/s are sent over at least (n - 1) / 20 seconds (one interval of slack for arrival jitter).
    expect(sent.length).toBeGreaterThan(6);
    expect(sent.at(-1)!.at - sent[0]!.at).toBeGreaterThanOrEqual(((sent.length - 2) / 20) * 1000);
    expect(Date.now()).toBeGreaterThanOrEqual(started);
  });
});
