import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRetentionMatrix, buildRevenueCohorts, weightedRetentionSummary } from './retention.ts';

describe('retention matrices', () => {
  it('weights the summary by cohort size over the cohorts that reached each period', () => {
    const m = buildRetentionMatrix({
      granularity: 'week',
      mode: 'on',
      sizes: new Map([
        ['2026-01-05', 10],
        ['2026-01-12', 30],
      ]),
      counts: [
        { cohortStart: '2026-01-05', period: 0, retained: 10 },
        { cohortStart: '2026-01-05', period: 1, retained: 5 },
        { cohortStart: '2026-01-12', period: 0, retained: 27 },
      ],
      periodsOf: (c) => (c === '2026-01-05' ? 2 : 1),
    });
    expect(m.cohorts[0]!.periods.map((p) => p.rate)).toEqual([1, 0.5]);
    // The younger cohort has not reached period 1: null, not 0.
    expect(m.cohorts[1]!.periods).toEqual([
      { period: 0, users: 27, rate: 0.9 },
      { period: 1, users: null, rate: null },
    ]);
    expect(m.summary).toEqual([
      { period: 0, users: 37, rate: 0.925 },
      { period: 1, users: 5, rate: 0.5 },
    ]);
  });

  it('keeps every rate within [0, 1] (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(), { maxLength: 6 })), {
          maxLength: 8,
        }),
        (spec) => {
          const sizes = new Map<string, number>();
          const counts = spec.flatMap(([size, cells], i) => {
            const key = `2026-01-${String(i + 1).padStart(2, '0')}`;
            sizes.set(key, size);
            return cells.map((c, k) => ({ cohortStart: key, period: k, retained: c % (size + 1) }));
          });
          const m = buildRetentionMatrix({
            granularity: 'day',
            mode: 'on',
            sizes,
            counts,
            periodsOf: () => 6,
          });
          for (const cell of [...m.summary, ...m.cohorts.flatMap((c) => c.periods)]) {
            expect(cell.rate).not.toBeNull();
            expect(cell.rate!).toBeGreaterThanOrEqual(0);
            expect(cell.rate!).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('weights the summary row by cohort size over the cohorts that reached each period (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ size: fc.integer({ min: 1, max: 500 }), reached: fc.nat({ max: 6 }), seed: fc.nat() }),
          { maxLength: 8 },
        ),
        (spec) => {
          const cohorts = spec.map(({ size, reached, seed }) => ({
            size,
            periods: Array.from({ length: 6 }, (_, k) => ({
              period: k,
              users: k < reached ? (seed * (k + 7)) % (size + 1) : null,
            })),
          }));
          const summary = weightedRetentionSummary(cohorts);
          for (const cell of summary) {
            const reached = cohorts.filter((c) => c.periods[cell.period]!.users !== null);
            if (reached.length === 0) {
              expect(cell).toEqual({ period: cell.period, users: null, rate: null });
              continue;
            }
            const size = reached.reduce((n, c) => n + c.size, 0);
            // The weighted mean of the rates = retained users / sizes.
            const mean =
              reached.reduce((n, c) => n + (c.periods[cell.period]!.users! / c.size) * c.size, 0) / size;
            // Rates are rounded to 4 decimals.
            expect(Math.abs(cell.rate! - mean)).toBeLessThanOrEqual(0.00005 + 1e-12);
            expect(cell.rate!).toBeGreaterThanOrEqual(0);
            expect(cell.rate!).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
    expect(weightedRetentionSummary([])).toEqual([]);
  });

  it('computes NRR and GRR per month', () => {
    const [c] = buildRevenueCohorts([
      {
        currency: 'usd',
        cohortMonth: '2026-01-01',
        monthOffset: 1,
        customers: 2,
        startMrr: 2000,
        mrr: 2500,
        cappedMrr: 1800,
        churnedCustomers: 0,
      },
      {
        currency: 'usd',
        cohortMonth: '2026-01-01',
        monthOffset: 0,
        customers: 2,
        startMrr: 2000,
        mrr: 2000,
        cappedMrr: 2000,
        churnedCustomers: 0,
      },
    ]);
    expect(c!.months).toEqual([
      { monthOffset: 0, mrr: 2000, nrr: 1, grr: 1, churnedCustomers: 0 },
      { monthOffset: 1, mrr: 2500, nrr: 1.25, grr: 0.9, churnedCustomers: 0 },
    ]);
  });
});
