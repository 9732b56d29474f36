import { canonicalDump } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStripeDemo, worldStripeEvents } from '../src/demo/stripe-events.ts';
import { buildWorld } from '../src/demo/world.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('Stripe demo stream', () => {
  it('the world is deterministic and covers the lifecycle', () => {
    const a = buildWorld({ seed: 5, customers: 300, months: 12 });
    const b = buildWorld({ seed: 5, customers: 300, months: 12 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(buildWorld({ seed: 6, customers: 300, months: 12 }))).not.toBe(JSON.stringify(a));
    const types = new Set(worldStripeEvents(a).map((e) => e.type));
    for (const t of [
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.deleted',
      'invoice.paid',
      'invoice.payment_failed',
      'charge.refunded',
      'customer.discount.created',
    ]) {
      expect(types).toContain(t);
    }
    const subs = a.customers.flatMap((c) => c.subscriptions);
    expect(subs.some((s) => s.trialEndsAt)).toBe(true);
    expect(subs.some((s) => s.plans.some((p) => p.interval === 'year'))).toBe(true);
    expect(subs.some((s) => s.plans.length > 1)).toBe(true);
    expect(a.customers.some((c) => c.subscriptions.length > 1)).toBe(true);
    expect(a.customers.some((c) => c.stripeCustomerId === null)).toBe(true);
  });

  it('runStripeDemo pushes signed, shuffled, duplicated events through the webhook endpoint and summarises revenue', async () => {
    const result = await runStripeDemo({ pool: db.pool, seed: 9, customers: 60, months: 12 });
    expect(result.deliveries).toBeGreaterThan(result.events);
    expect(result.accepted).toBe(result.events);
    expect(result.duplicates).toBe(result.deliveries - result.events);
    expect(result.inbox).toMatchObject({ pending: 0, failed: 0, dead: 0, total: result.events });
    expect(result.summary.mrr).toBeGreaterThan(0);
    expect(result.summary.mrr).toBe(result.summary.mrrStart + result.summary.movements.net);
    // Same seed, ordered delivery into a fresh database: the same ledger.
    const first = await canonicalDump(db.pool);
    const other = await createTestDatabase();
    try {
      const again = await runStripeDemo({ pool: other.pool, seed: 9, customers: 60, months: 12 });
      expect(again.summary).toEqual(result.summary);
      expect(await canonicalDump(other.pool)).toBe(first);
    } finally {
      await other.drop();
    }
  }, 180_000);
});
