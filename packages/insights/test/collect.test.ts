import { applyStripeObject } from '@org/billing-ledger';
import { simulateStripeEvents } from '@org/billing-ledger/testing';
import { type Pool, withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import {
  activationRate,
  activeUsersSeries,
  createPartitionKeeper,
  insertEvents,
  type ParsedWireEvent,
  wireEvent,
} from '@org/metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectOptions,
  collectSnapshot,
  defaultActivation,
  defaultFunnelSteps,
} from '../src/collect/collect.ts';
import { periodsEndingAt } from '../src/snapshot.ts';

// Every figure of a snapshot is as of its period's end: collected on the whole history, it equals
// the same snapshot collected on a database that holds only what happened before the end.
const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const options: CollectOptions = { currency: 'usd', app: 'shop' };

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 60 users over 50 days: some do the core action, some only other features, some pay. */
function productEvents(): ParsedWireEvent[] {
  const rand = rng(7);
  const events: ParsedWireEvent[] = [];
  let n = 0;
  const push = (userId: string, name: string, category: string, at: number) =>
    events.push(
      wireEvent.parse({
        id: `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`,
        name,
        category,
        userId,
        properties: {},
        occurredAt: new Date(at).toISOString(),
      }),
    );
  for (let i = 0; i < 60; i++) {
    const user = `u${i}`;
    let t = START + Math.floor(rand() * 50) * DAY + Math.floor(rand() * 20) * 3_600_000;
    push(user, 'user_signed_up', 'lifecycle', t);
    const kind = rand();
    for (let k = 0; k < 6; k++) {
      t += Math.floor(1 + rand() * 5 * 24) * 3_600_000;
      if (kind < 0.5) push(user, 'enrichment_completed', 'feature', t);
      else if (kind < 0.8) push(user, 'export_created', 'feature', t);
      if (kind < 0.2 && k === 1) push(user, 'checkout_completed', 'billing', t + 3_600_000);
    }
  }
  return events;
}

const allProductEvents = productEvents();
const stripeEvents = simulateStripeEvents({
  seed: 5,
  customers: 16,
  start: START / 1000 - 30 * 86_400,
  days: 90,
}).sort((a, b) => a.created - b.created);

async function load(pool: Pool, before = Number.POSITIVE_INFINITY): Promise<void> {
  await withTransaction(pool, async (client) => {
    for (const event of stripeEvents) {
      if (event.created * 1000 >= before) break;
      const result = await applyStripeObject(client, event.data.object, {
        observedAt: new Date(event.created * 1000),
        sourceEventId: event.id,
        deleted: event.type.endsWith('.deleted'),
      });
      if (!result.ok && result.error.code !== 'unsupported_object') throw result.error;
    }
  });
  const events = allProductEvents.filter((e) => Date.parse(e.occurredAt) < before);
  await createPartitionKeeper()(pool, events);
  await insertEvents(pool, 'shop', events);
}

let full: TestDatabase;
beforeAll(async () => {
  full = await createTestDatabase();
  await load(full.pool);
});
afterAll(() => full?.drop());

describe('collectSnapshot', () => {
  it('reads the activation rate and the funnel by the one definition the dashboard and the CLI share', async () => {
    const { current } = periodsEndingAt(new Date(START + 35 * DAY), 30);
    const { snapshot } = await collectSnapshot(full.pool, current, options);
    const scope = { app: 'shop', from: current.start, to: current.end, asOf: current.end };
    const byCoreAction = await activationRate(full.pool, {
      ...scope,
      activation: { event: defaultActivation.event },
      windowDays: defaultActivation.windowDays,
    });
    // What `org-reports kpis` computed by default before: any feature event.
    const byAnyFeature = await activationRate(full.pool, scope);
    expect(snapshot.users?.activationRate).toBe(byCoreAction.rate);
    expect(byAnyFeature.rate).not.toBe(byCoreAction.rate);
    expect(snapshot.funnel?.steps.map((s) => s.name)).toEqual([...defaultFunnelSteps]);
    const series = await activeUsersSeries(full.pool, { app: 'shop', from: current.start, to: current.end });
    const mean = series.reduce((n, d) => n + d.dau, 0) / series.length;
    expect(snapshot.engagement?.averageDau).toBeCloseTo(mean, 2);
    expect(snapshot.revenue?.activeSubscriptions).toBeGreaterThan(0);
  });

  it('gives every figure as of the period end: nothing that happens later changes it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 8, max: 55 }), fc.constantFrom(7, 30), async (endDay, days) => {
        const end = new Date(START + endDay * DAY);
        const { current, previous } = periodsEndingAt(end, days);
        const truncated = await createTestDatabase();
        try {
          await load(truncated.pool, end.getTime());
          for (const period of [current, previous]) {
            const [all, before] = await Promise.all([
              collectSnapshot(full.pool, period, options),
              collectSnapshot(truncated.pool, period, options),
            ]);
            expect(all.snapshot).toEqual(before.snapshot);
          }
        } finally {
          await truncated.drop();
        }
      }),
      { numRuns: 6 },
    );
  });
});
