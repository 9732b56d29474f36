import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { activationRate, activeUsersSeries, coreActionSuccessRate } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoUser, runProductDemo, userEvents } from '../src/demo/product-events.ts';

const start = Date.parse('2026-01-01T00:00:00Z');
const asOf = new Date('2026-05-01T00:00:00Z');
const users: DemoUser[] = Array.from({ length: 150 }, (_, i) => ({
  userId: `user_${i}`,
  accountId: `acct_${Math.floor(i / 2)}`,
  signedUpAt: new Date(start + Math.floor((i / 150) * 60) * 86_400_000 + (i % 24) * 3_600_000),
  ...(i % 5 === 0 ? { churnedAt: new Date(start + (70 + (i % 30)) * 86_400_000) } : {}),
}));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('demo product usage', () => {
  it('is deterministic for a seed', () => {
    expect(userEvents(7, users[3]!, asOf)).toEqual(userEvents(7, users[3]!, asOf));
    expect(userEvents(7, users[3]!, asOf)).not.toEqual(userEvents(8, users[3]!, asOf));
    expect(userEvents(7, users[3]!, asOf).every((e) => e.occurredAt < asOf)).toBe(true);
  });

  it('tracks realistic usage through the SDK, and a rerun adds nothing', async () => {
    let progress = 0;
    const first = await runProductDemo({
      pool: db.pool,
      seed: 42,
      users,
      asOf,
      onProgress: (done) => (progress = done),
    });
    expect(progress).toBe(150);
    expect(first).toMatchObject({ app: 'demo', users: 150, dropped: 0, failed: 0 });
    expect(first.inserted).toBe(first.tracked);
    expect(first.tracked).toBeGreaterThan(3000);
    const again = await runProductDemo({ pool: db.pool, seed: 42, users, asOf });
    expect(again).toMatchObject({ tracked: first.tracked, inserted: 0 });

    const period = { from: new Date(start), to: new Date(start + 60 * 86_400_000), app: 'demo', asOf };
    const activation = await activationRate(db.pool, {
      ...period,
      activation: { event: 'enrichment_started' },
    });
    expect(activation.signedUp).toBe(150);
    expect(activation.rate!).toBeGreaterThan(0.5);
    expect(activation.rate!).toBeLessThan(0.9);
    const success = await coreActionSuccessRate(db.pool, {
      ...period,
      completed: 'enrichment_completed',
      failed: 'enrichment_failed',
    });
    expect(success.rate!).toBeGreaterThan(0.85);
    expect(success.rate!).toBeLessThan(0.98);
    // Engagement decays: weekly actives in the last month are below the peak after signups stop.
    const series = await activeUsersSeries(db.pool, { from: new Date(start), to: asOf, app: 'demo' });
    const peak = Math.max(...series.map((p) => p.wau));
    expect(series.at(-1)!.wau).toBeLessThan(peak);
    expect(series.at(-1)!.wau).toBeGreaterThan(0);
  });
});

describe('demo world adapter', () => {
  it('maps world customers to product users', async () => {
    const { buildWorld } = await import('../src/demo/world.ts');
    const { demoUsersFromWorld } = await import('../src/demo/product-events.ts');
    const world = buildWorld({ seed: 3, customers: 60, months: 3 });
    const mapped = demoUsersFromWorld(world.customers);
    expect(mapped).toHaveLength(60);
    const payer = world.customers.findIndex((c) => c.subscriptions.length > 0);
    expect(mapped[payer]!.paidAt).toBeInstanceOf(Date);
    expect(mapped.filter((u) => u.paidAt === null).length).toBe(
      world.customers.filter((c) => c.subscriptions.length === 0).length,
    );
    const events = mapped.flatMap((u) => userEvents(3, u, world.end));
    expect(events.filter((e) => e.name === 'checkout_completed').length).toBeLessThanOrEqual(
      mapped.filter((u) => u.paidAt).length,
    );
    expect(events.filter((e) => e.name === 'user_signed_up')).toHaveLength(60);
  });
});
