import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEvent } from '../src/processing/processor.ts';
import { defaultEventRegistry } from '../src/processing/registry.ts';
import { type LedgerQueue, startQueue } from '../src/queue.ts';
import { receiveEvent } from '../src/store/inbox.ts';
import { parseEvent } from '../src/stripe/parse.ts';
import { createStripeApi } from '../src/stripe-api/client.ts';
import { createCheckoutSession } from '../src/wallets/checkout.ts';
import { startRechargeWorker } from '../src/wallets/jobs.ts';
import { claimRecharge, deductAndRecharge, runRecharge } from '../src/wallets/recharge.ts';
import {
  checkWalletIntegrity,
  credit,
  deduct,
  getWallet,
  listWalletTransactions,
  openWallet,
} from '../src/wallets/store.ts';
import { registerWalletHandlers } from '../src/wallets/top-ups.ts';
import { type FakeStripe, startFakeStripe } from './support/fake-stripe.ts';

let db: TestDatabase;
let fake: FakeStripe;
let queue: LedgerQueue;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeStripe({ now: 1_763_700_000 });
  queue = await startQueue(db.pool, { maintenanceIntervalSeconds: 1 });
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await fake.close();
  await db.drop();
});

async function fundedWallet(owner: string, balance: number) {
  const customer = fake.create('customer', { email: `${owner}@example.com` });
  const w = await openWallet(db.pool, {
    ownerId: owner,
    currency: 'usd',
    recharge: { threshold: 1000, amount: 5000 },
    stripeCustomerId: customer.id,
  });
  if (!w.ok) throw new Error(w.error.message);
  if (balance > 0)
    await credit(db.pool, { walletId: w.value.id, amount: balance, idempotencyKey: 'opening' });
  return { wallet: w.value, customer: customer.id };
}

const chargesOf = (customer: string) => fake.all('payment_intent').filter((p) => p.customer === customer);

describe('auto-recharge', () => {
  it('5 concurrent triggers of one cycle make exactly one Stripe charge and one credit', async () => {
    const { wallet, customer } = await fundedWallet('org_rc', 1000);
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const deductions = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        deduct(db.pool, { walletId: wallet.id, amount: 100, idempotencyKey: `use-${i}` }),
      ),
    );
    expect(deductions.every((d) => d.ok && d.value.needsRecharge)).toBe(true);
    const results = await Promise.all(
      deductions.map(async () => {
        // Every trigger also runs the cycle's job itself: the worst case of duplicate jobs.
        const claim = await claimRecharge(db.pool, wallet.id);
        return claim ? runRecharge(db.pool, api, { walletId: wallet.id, cycle: claim.cycle }) : null;
      }),
    );
    expect(results.filter((r) => r?.ok).length).toBeGreaterThan(0);
    expect(chargesOf(customer)).toHaveLength(1);
    const w = await getWallet(db.pool, wallet.id);
    expect(w.ok && w.value).toMatchObject({ balance: 500 + 5000, rechargeCycle: 1 });
    const recharges = (await listWalletTransactions(db.pool, wallet.id)).filter((t) => t.kind === 'recharge');
    expect(recharges).toHaveLength(1);
    const { rows } = await db.pool.query(
      'select cycle, status from public.wallet_recharges where wallet_id = $1',
      [wallet.id],
    );
    expect(rows).toEqual([{ cycle: 0, status: 'succeeded' }]);
    // Above the threshold again: nothing to claim.
    expect(await claimRecharge(db.pool, wallet.id)).toBeNull();
  });

  it('records a declined recharge and retries the same payment intent, never a second one', async () => {
    const { wallet, customer } = await fundedWallet('org_decline', 500);
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    fake.declineCustomer(customer);
    const claim = await claimRecharge(db.pool, wallet.id);
    expect(claim).toMatchObject({ cycle: 0, created: true, amount: 5000 });
    const first = await runRecharge(db.pool, api, { walletId: wallet.id, cycle: 0 });
    expect(first.ok === false && first.error.code).toBe('stripe_error');
    const second = await runRecharge(db.pool, api, { walletId: wallet.id, cycle: 0 });
    expect(second.ok).toBe(false);
    const { rows } = await db.pool.query(
      'select status, attempts, last_error, stripe_payment_intent_id from public.wallet_recharges where wallet_id = $1',
      [wallet.id],
    );
    expect(rows[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      last_error: expect.stringMatching(/declined/),
    });
    expect(chargesOf(customer)).toHaveLength(1);
    expect(rows[0].stripe_payment_intent_id).toBe(chargesOf(customer)[0]!.id);

    fake.acceptCustomer(customer);
    const third = await runRecharge(db.pool, api, { walletId: wallet.id, cycle: 0 });
    expect(third.ok && third.value).toMatchObject({ status: 'succeeded', balance: 5500 });
    expect(chargesOf(customer)).toHaveLength(1);
    expect((await runRecharge(db.pool, api, { walletId: wallet.id, cycle: 0 })).ok).toBe(true);
    expect(
      (await getWallet(db.pool, wallet.id)).ok &&
        (await listWalletTransactions(db.pool, wallet.id)).filter((t) => t.kind === 'recharge'),
    ).toHaveLength(1);
  });

  it('runs recharges on the queue: a decline is retried by pg-boss until it succeeds', async () => {
    const { wallet, customer } = await fundedWallet('org_queue', 0);
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    fake.declineCustomer(customer);
    const worker = await startRechargeWorker(queue, {
      pool: db.pool,
      api,
      retry: { retryLimit: 5, retryDelaySeconds: 1, retryBackoff: false },
      pollingIntervalSeconds: 0.5,
    });
    try {
      const sent: unknown[] = [];
      const deductions = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          deductAndRecharge(
            db.pool,
            { walletId: wallet.id, amount: 10, idempotencyKey: `q-${i}` },
            (job, key) => {
              sent.push(job);
              return worker.send(job, key);
            },
          ),
        ),
      );
      expect(deductions.every((d) => d.ok && d.value.needsRecharge)).toBe(true);
      expect(sent).toHaveLength(1);
      // Wait for the first (declined) attempt, then let the card work.
      for (let i = 0; i < 100; i++) {
        const { rows } = await db.pool.query(
          'select status from public.wallet_recharges where wallet_id = $1',
          [wallet.id],
        );
        if (rows[0]?.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      fake.acceptCustomer(customer);
      for (let i = 0; i < 150; i++) {
        const w = await getWallet(db.pool, wallet.id);
        if (w.ok && w.value.balance === 4950) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }
    const w = await getWallet(db.pool, wallet.id);
    expect(w.ok && w.value).toMatchObject({ balance: 4950, rechargeCycle: 1 });
    expect(chargesOf(customer)).toHaveLength(1);
    const { rows } = await db.pool.query(
      'select status, attempts from public.wallet_recharges where wallet_id = $1',
      [wallet.id],
    );
    expect(rows[0].status).toBe('succeeded');
    expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
  });
});

describe('top-ups through the ledger event processing', () => {
  it('reuses the open checkout session and credits a paid top-up once across events and duplicates', async () => {
    const { wallet, customer } = await fundedWallet('org_topup', 0);
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const asOf = new Date(fake.now() * 1000);
    const sessions = await Promise.all(
      Array.from({ length: 4 }, () =>
        createCheckoutSession(
          db.pool,
          api,
          { kind: 'top_up', walletId: wallet.id, amount: 2500 },
          { successUrl: 'https://app.example/ok', asOf },
        ),
      ),
    );
    const ids = new Set(sessions.map((s) => (s.ok ? s.value.id : 'error')));
    expect(ids.size).toBe(1);
    expect(sessions.filter((s) => s.ok && s.value.reused)).toHaveLength(3);
    expect(fake.all('checkout.session').filter((s) => s.customer === customer)).toHaveLength(1);

    const sessionId = [...ids][0]!;
    fake.completeCheckout(sessionId);
    // A paid session is no longer reused: the next request opens a new one.
    const next = await createCheckoutSession(
      db.pool,
      api,
      { kind: 'top_up', walletId: wallet.id, amount: 2500 },
      { successUrl: 'https://app.example/ok', asOf },
    );
    expect(next.ok && next.value.id !== sessionId && !next.value.reused).toBe(true);

    const registry = registerWalletHandlers(defaultEventRegistry());
    const events = fake
      .all('event')
      .filter(
        (e) =>
          ['checkout.session.completed', 'payment_intent.succeeded'].includes(e.type) &&
          e.data.object.customer === customer,
      )
      .reverse();
    expect(events.map((e) => e.type).sort()).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
    ]);
    for (const e of [...events, ...events]) {
      const parsed = parseEvent(e);
      if (!parsed.ok) throw parsed.error;
      await receiveEvent(db.pool, parsed.value, JSON.stringify(e));
      const outcome = await processEvent(db.pool, e.id, { registry });
      expect(['processed', 'already_done']).toContain(outcome.status);
    }
    const w = await getWallet(db.pool, wallet.id);
    expect(w.ok && w.value.balance).toBe(2500);
    const integrity = await checkWalletIntegrity(db.pool, wallet.id);
    expect(integrity.ok && integrity.value.unbalancedTransactions).toBe(0);
    const { rows } = await db.pool.query('select status from public.wallet_checkout_sessions where id = $1', [
      sessionId,
    ]);
    expect(rows[0].status).toBe('complete');
  });

  it('creates one subscription checkout per customer and price', async () => {
    const customer = fake.create('customer', {});
    const price = fake.create('price', {
      unit_amount: 1900,
      currency: 'usd',
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1 },
    });
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const asOf = new Date(fake.now() * 1000);
    const a = await createCheckoutSession(
      db.pool,
      api,
      { kind: 'price', stripeCustomerId: customer.id, priceId: price.id },
      { successUrl: 'https://app.example/ok', asOf },
    );
    const b = await createCheckoutSession(
      db.pool,
      api,
      { kind: 'price', stripeCustomerId: customer.id, priceId: price.id },
      { successUrl: 'https://app.example/ok', asOf },
    );
    expect(a.ok && b.ok && a.value.id === b.value.id && b.value.reused).toBe(true);
    // After it expires on Stripe, a fresh one.
    await fake.client().checkout.sessions.expire(a.ok ? a.value.id : '');
    const c = await createCheckoutSession(
      db.pool,
      api,
      { kind: 'price', stripeCustomerId: customer.id, priceId: price.id },
      { successUrl: 'https://app.example/ok', asOf },
    );
    expect(c.ok && c.value.id !== (a.ok && a.value.id)).toBe(true);
  });
});
