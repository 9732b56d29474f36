import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monthlyFactor, normaliseToMonthly, roundHalfUp } from './money.ts';

describe('monthlyFactor', () => {
  it('matches the METRICS.md table', () => {
    expect(monthlyFactor('month', 1)).toEqual({ num: 1n, den: 1n });
    expect(monthlyFactor('month', 3)).toEqual({ num: 1n, den: 3n });
    expect(monthlyFactor('year', 1)).toEqual({ num: 1n, den: 12n });
    expect(monthlyFactor('year', 2)).toEqual({ num: 1n, den: 24n });
    expect(monthlyFactor('week', 1)).toEqual({ num: 52n, den: 12n });
    expect(monthlyFactor('day', 1)).toEqual({ num: 365n, den: 12n });
  });
});

describe('roundHalfUp', () => {
  it('rounds halves up', () => {
    expect(roundHalfUp(5n, 2n)).toBe(3n);
    expect(roundHalfUp(7n, 2n)).toBe(4n);
    expect(roundHalfUp(4n, 3n)).toBe(1n);
    expect(roundHalfUp(5n, 3n)).toBe(2n);
    expect(roundHalfUp(-5n, 2n)).toBe(-2n);
    expect(roundHalfUp(-1n, 3n)).toBe(0n);
    expect(roundHalfUp(-2n, 3n)).toBe(-1n);
  });
  it('is within half a unit of the exact value and ties go up', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (num, den) => {
          const r = roundHalfUp(num, den);
          // |r - num/den| <= 1/2, and r - num/den in (-1/2, 1/2]
          const twice = 2n * (r * den - num);
          expect(twice > -den && twice <= den).toBe(true);
        },
      ),
    );
  });
});

describe('normaliseToMonthly', () => {
  it('normalises annual prices and rounds once', () => {
    expect(normaliseToMonthly(10000n, [], monthlyFactor('year', 1))).toBe(833n); // 833.33
    expect(normaliseToMonthly(10002n, [], monthlyFactor('year', 1))).toBe(834n); // 833.5 -> up
    expect(normaliseToMonthly(1000n, [], monthlyFactor('week', 1))).toBe(4333n); // 4333.33
  });
  it('applies percent discounts in sequence and 100% gives 0', () => {
    expect(normaliseToMonthly(2000n, [25.5], monthlyFactor('month', 1))).toBe(1490n);
    expect(normaliseToMonthly(2000n, [10, 10], monthlyFactor('month', 1))).toBe(1620n);
    expect(normaliseToMonthly(2000n, [100], monthlyFactor('month', 1))).toBe(0n);
  });
  it('never goes negative and never exceeds the undiscounted amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 3 }),
        (amount, pcts) => {
          const m = normaliseToMonthly(amount, pcts, monthlyFactor('month', 1));
          expect(m >= 0n && m <= amount).toBe(true);
        },
      ),
    );
  });
});
