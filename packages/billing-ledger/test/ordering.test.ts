import { withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStripeObjects } from '../src/index.ts';
import {
  NEW_API_VERSION,
  OLD_API_VERSION,
  type StripeEvent,
  seededRandom,
  shuffle,
  simulateStripeEvents,
} from '../src/testing/index.ts';
import { applyEventDirect, canonicalDump, resetLedger } from './support/ledger.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const START = Date.UTC(2026, 0, 1) / 1000;

async function applyAll(events: StripeEvent[]): Promise<string> {
  await resetLedger(db.pool);
  for (const e of events) await applyEventDirect(db.pool, e);
  return canonicalDump(db.pool);
}

describe.each([OLD_API_VERSION, NEW_API_VERSION])('order and duplicates (API %s)', (apiVersion) => {
  const events = simulateStripeEvents({ seed: 7, customers: 8, start: START, days: 150, apiVersion });
  let reference = '';

  it('the in-order application produces subscriptions, invoices and MRR', async () => {
    reference = await applyAll(events);
    const counts = await db.pool.query(
      `select (select count(*)::int from public.stripe_subscriptions) as subs, (select count(*)::int from public.billing_mrr_intervals) as intervals, (select count(*)::int from public.stripe_invoices) as invoices`,
    );
    expect(counts.rows[0].subs).toBeGreaterThan(5);
    expect(counts.rows[0].intervals).toBeGreaterThan(5);
    expect(counts.rows[0].invoices).toBeGreaterThan(10);
  });

  it('any permutation with any duplicates ends in the same ledger', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 40 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (dups, stream) => {
          const delivered = [...events, ...dups.map((i) => events[i]!)];
          const keys = delivered.map(() => stream.next().value as number);
          const shuffled = delivered
            .map((e, i) => ({ e, k: keys[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          expect(await applyAll(shuffled)).toBe(reference);
        },
      ),
      { numRuns: 5 },
    );
  });

  it('set-based application in random batches (as the worker and backfills do) ends in the same ledger', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer(),
        async (dups, size, seed) => {
          const delivered = shuffle([...events, ...dups.map((i) => events[i]!)], seededRandom(seed));
          await resetLedger(db.pool);
          for (let i = 0; i < delivered.length; i += size) {
            const chunk = delivered.slice(i, i + size);
            await withTransaction(db.pool, async (client) => {
              const results = await applyStripeObjects(
                client,
                chunk.map((e) => ({
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
        },
      ),
      { numRuns: 6 },
    );
  });

  it('the exact reverse order ends in the same ledger', async () => {
    expect(await applyAll([...events].reverse())).toBe(reference);
  });
});
