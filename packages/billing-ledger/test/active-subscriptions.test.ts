import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revenueSummary } from '../src/index.ts';
import { simulateStripeEvents } from '../src/testing/index.ts';
import { applyEventDirect, resetLedger } from './support/ledger.ts';

// "Active subscriptions" is a level as of the period end, like MRR: checked against the Stripe
// event stream itself (each subscription's last object sent before the instant), not against the
// ledger's current state, which is what the figure showed for every period before.
let db: TestDatabase;
const DAY = 86_400;
const start = Date.parse('2026-01-01T00:00:00Z') / 1000;
type SubscriptionEvent = { type: string; created: number; data: { object: { id: string; status: string } } };
const events = [...simulateStripeEvents({ seed: 11, customers: 40, start, days: 200 })];
const subscriptionEvents = (events as unknown as SubscriptionEvent[]).filter((e) =>
  e.type.startsWith('customer.subscription.'),
);

/** What Stripe had said about each subscription before `t` (s): its last object's status. */
function expectedAt(t: number): { active: number; trialing: number } {
  const last = new Map<string, string>();
  for (const e of subscriptionEvents) if (e.created < t) last.set(e.data.object.id, e.data.object.status);
  const statuses = [...last.values()];
  return {
    active: statuses.filter((s) => s === 'active' || s === 'past_due').length,
    trialing: statuses.filter((s) => s === 'trialing').length,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await resetLedger(db.pool);
  for (const e of events) await applyEventDirect(db.pool, e);
}, 240_000);
afterAll(() => db?.drop());

const summaryAt = (t: number, days = 30) =>
  revenueSummary(db.pool, {
    from: new Date((t - days * DAY) * 1000),
    to: new Date(t * 1000),
    currency: 'usd',
  });

describe('active subscriptions as of the period end', () => {
  it('differ between periods and equal what the event stream said before each end', async () => {
    const months = [60, 120, 180].map((d) => start + d * DAY);
    const got = await Promise.all(months.map((t) => summaryAt(t)));
    expect(got.map((s) => s.activeSubscriptions)).toEqual(months.map((t) => expectedAt(t).active));
    expect(got.map((s) => s.trialingSubscriptions)).toEqual(months.map((t) => expectedAt(t).trialing));
    // The old figure was the ledger's current count in every period.
    expect(new Set(got.map((s) => s.activeSubscriptions)).size).toBeGreaterThan(1);
    // Before the first subscription there is none.
    expect((await summaryAt(start - DAY)).activeSubscriptions).toBe(0);
  });

  it('equals the stream at any instant, including mid-day ends and asOf caps (property)', async () => {
    await fc.assert(
      // Within the simulated 200 days: after them the stream stops (no renewal or deletion is
      // sent) while cancellations scheduled before still take effect in the ledger.
      fc.asyncProperty(fc.integer({ min: 0, max: 200 * 24 }), async (hours) => {
        const t = start + hours * 3_600;
        const s = await summaryAt(t, 7);
        expect({ active: s.activeSubscriptions, trialing: s.trialingSubscriptions }).toEqual(expectedAt(t));
        // asOf caps `to`: a longer period capped at t says the same.
        const capped = await revenueSummary(db.pool, {
          from: new Date((t - 7 * DAY) * 1000),
          to: new Date((t + 30 * DAY) * 1000),
          asOf: new Date(t * 1000),
          currency: 'usd',
        });
        expect(capped.activeSubscriptions).toBe(s.activeSubscriptions);
      }),
      { numRuns: 25 },
    );
  });
});
