import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, createStripeApi, listPages } from '../src/stripe-api/client.ts';
import { type FakeStripe, parseForm, startFakeStripe } from './support/fake-stripe.ts';

let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe({ now: 1_763_700_000 });
});
afterAll(() => fake.close());

describe('the fake Stripe server through the official SDK', () => {
  it('parses nested form bodies like Stripe', () => {
    expect(
      parseForm('a=1&metadata[k]=v&line_items[0][price]=p&line_items[0][quantity]=2&expand[]=x&expand[]=y'),
    ).toEqual({
      a: '1',
      metadata: { k: 'v' },
      line_items: [{ price: 'p', quantity: '2' }],
      expand: ['x', 'y'],
    });
  });

  it('creates, retrieves and lists with Stripe pagination and created filters', async () => {
    const stripe = fake.client();
    const made = [];
    for (let i = 0; i < 7; i++) {
      fake.setNow(1_763_700_000 + i);
      made.push(await stripe.customers.create({ email: `c${i}@example.com`, metadata: { n: String(i) } }));
    }
    expect(made[3]).toMatchObject({
      object: 'customer',
      email: 'c3@example.com',
      metadata: { n: '3' },
      created: 1_763_700_003,
    });
    expect((await stripe.customers.retrieve(made[2]!.id)).id).toBe(made[2]!.id);

    const first = await stripe.customers.list({ limit: 3 });
    expect(first).toMatchObject({ object: 'list', url: '/v1/customers', has_more: true });
    expect(first.data.map((c) => c.id)).toEqual([made[6]!.id, made[5]!.id, made[4]!.id]);
    const second = await stripe.customers.list({ limit: 3, starting_after: first.data[2]!.id });
    expect(second.data.map((c) => c.id)).toEqual([made[3]!.id, made[2]!.id, made[1]!.id]);
    const recent = await stripe.customers.list({ limit: 100, created: { gte: 1_763_700_005 } });
    expect(recent.data.map((c) => c.id)).toEqual([made[6]!.id, made[5]!.id]);
    const all = [];
    for await (const c of stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toHaveLength(7);
  });

  it("answers Stripe's error shape, replays idempotent POSTs, and declines cards on request", async () => {
    const stripe = fake.client();
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      statusCode: 404,
    });
    const cus = await stripe.customers.create({ email: 'pay@example.com' });
    const a = await stripe.paymentIntents.create(
      { amount: 500, currency: 'usd', customer: cus.id, confirm: true, off_session: true },
      { idempotencyKey: 'same-key' },
    );
    const b = await stripe.paymentIntents.create(
      { amount: 500, currency: 'usd', customer: cus.id, confirm: true, off_session: true },
      { idempotencyKey: 'same-key' },
    );
    expect(a.status).toBe('succeeded');
    expect(b.id).toBe(a.id);
    expect(fake.all('payment_intent').filter((p) => p.customer === cus.id)).toHaveLength(1);
    await expect(
      stripe.paymentIntents.create(
        { amount: 501, currency: 'usd', customer: cus.id },
        { idempotencyKey: 'same-key' },
      ),
    ).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
    fake.declineCustomer(cus.id);
    await expect(
      stripe.paymentIntents.create({ amount: 500, currency: 'usd', customer: cus.id, confirm: true }),
    ).rejects.toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
      statusCode: 402,
    });
    const anonymous = await fetch(`${fake.url}/v1/customers`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('answers 429 with Retry-After; the adapter waits and retries', async () => {
    const stripe = fake.client();
    fake.failNext(2, { status: 429, retryAfter: 0, path: /^\/v1\/products$/ });
    await expect(stripe.products.list()).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
      headers: expect.objectContaining({ 'retry-after': '0' }),
    });
    const waits: number[] = [];
    const api = createStripeApi(stripe, { perSecond: 1000, sleep: async (ms) => void waits.push(ms) });
    const r = await api.call((s) => s.products.list());
    expect(r.ok).toBe(true);
    expect(waits).toEqual([0]);
    expect(api.stats).toMatchObject({ rateLimited: 1, retries: 1 });
    fake.failNext(10, { status: 400, type: 'invalid_request_error', message: 'bad', path: /^\/v1\/prices$/ });
    const failed = await api.call((s) => s.prices.list());
    expect(failed).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'stripe_error', status: 400, message: 'bad' }),
    });
    expect(api.stats.retries).toBe(1);
  });

  it('walks every page with listPages and resumes from a cursor', async () => {
    const stripe = fake.client();
    const api = createStripeApi(stripe, { perSecond: 1000 });
    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    const r = await listPages(api, (s, p) => s.customers.list(p), {
      pageSize: 3,
      onPage: (items, cursor) => {
        seen.push(...items.map((i) => i.id));
        cursors.push(cursor);
      },
    });
    expect(r.ok && r.value.items).toBe(seen.length);
    const resumed: string[] = [];
    await listPages(api, (s, p) => s.customers.list(p), {
      pageSize: 3,
      startingAfter: cursors[0]!,
      onPage: (items) => void resumed.push(...items.map((i) => i.id)),
    });
    expect(resumed).toEqual(seen.slice(3));
  });

  it('keeps to the configured request rate', async () => {
    let t = 0;
    const limiter = createRateLimiter(20, {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    for (let i = 0; i < 41; i++) await limiter.take();
    expect(t).toBe(2000);
  });

  it('seeds a consistent account from the fixtures', async () => {
    const other = await startFakeStripe({ now: 1_763_700_000 });
    try {
      const summary = other.seed({ customers: 10, days: 60, seed: 3 });
      expect(summary.customer).toBe(10);
      const stripe = other.client();
      const subs = await stripe.subscriptions.list({ status: 'all', limit: 100 });
      expect(subs.data.length).toBe(summary.subscription);
      for (const s of subs.data) expect(other.get('customer', s.customer as string)).toBeDefined();
      const events = await stripe.events.list({ limit: 100, type: 'invoice.paid' });
      expect(events.data.length).toBe(summary.invoice);
    } finally {
      await other.close();
    }
  });
});
