import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRetentionMatrix, buildRevenueCohorts } from './retention.ts';

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
