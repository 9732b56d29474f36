import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMovement, customerMovements, netMovement } from './movements.ts';
import { revenueRatios } from './ratios.ts';

describe('classifyMovement', () => {
  it('follows the METRICS.md table', () => {
    expect(classifyMovement(0, 100, false)).toEqual({ kind: 'new', amount: 100 });
    expect(classifyMovement(0, 100, true)).toEqual({ kind: 'reactivation', amount: 100 });
    expect(classifyMovement(100, 150, true)).toEqual({ kind: 'expansion', amount: 50 });
    expect(classifyMovement(150, 100, true)).toEqual({ kind: 'contraction', amount: 50 });
    expect(classifyMovement(100, 0, true)).toEqual({ kind: 'churn', amount: 100 });
    expect(classifyMovement(100, 100, true)).toBeNull();
  });
});

describe('movement identity', () => {
  it('MRR(end) = MRR(start) + new + reactivation + expansion - contraction - churn, per customer and in total', () => {
    const series = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(series, fc.boolean()), { minLength: 1, maxLength: 20 }), (customers) => {
        let start = 0;
        let end = 0;
        let net = 0;
        for (const [s, paid] of customers) {
          const m = customerMovements(s, paid);
          expect(s.at(-1)!).toBe(s[0]! + netMovement(m));
          start += s[0]!;
          end += s.at(-1)!;
          net += netMovement(m);
        }
        expect(end).toBe(start + net);
      }),
    );
  });
});

describe('revenueRatios', () => {
  it('computes ratios and leaves undefined ones null', () => {
    const r = revenueRatios({
      mrrStart: 10_000,
      mrrEnd: 11_000,
      payingStart: 10,
      payingEnd: 11,
      churnedCustomers: 1,
      movements: { new: 2000, reactivation: 0, expansion: 500, contraction: 500, churn: 1000 },
      periodDays: 30,
    });
    expect(r.arpa).toBe(1000);
    expect(r.customerChurnRate).toBeCloseTo(0.1);
    expect(r.grossMrrChurnRate).toBeCloseTo(0.15);
    expect(r.netMrrChurnRate).toBeCloseTo(0.1);
    expect(r.quickRatio).toBeCloseTo(2500 / 1500);
    expect(r.ltv).toBe(10_000);
    const z = revenueRatios({
      mrrStart: 0,
      mrrEnd: 0,
      payingStart: 0,
      payingEnd: 0,
      churnedCustomers: 0,
      movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 0 },
      periodDays: 30,
    });
    expect(z).toEqual({
      arpa: null,
      customerChurnRate: null,
      grossMrrChurnRate: null,
      netMrrChurnRate: null,
      quickRatio: null,
      ltv: null,
    });
  });
});
