/**
 * Exact money arithmetic for MRR normalisation: amounts stay integers (minor units) and ratios
 * stay rationals (bigint numerator / denominator) until one final half-up rounding.
 */
export interface Ratio {
  num: bigint;
  den: bigint;
}

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

/** Months-per-period factor from METRICS.md: month n -> 1/n, year n -> 1/(12n), week n -> 52/(12n), day n -> 365/(12n). */
export function monthlyFactor(interval: RecurringInterval, intervalCount: number): Ratio {
  const n = BigInt(Math.max(1, Math.trunc(intervalCount)));
  switch (interval) {
    case 'month':
      return { num: 1n, den: n };
    case 'year':
      return { num: 1n, den: 12n * n };
    case 'week':
      return { num: 52n, den: 12n * n };
    case 'day':
      return { num: 365n, den: 12n * n };
  }
}

/** round(num / den) with halves rounded up (away from zero for non-negative values); den > 0. */
export function roundHalfUp(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError('denominator must be positive');
  // floor((2 num + den) / (2 den)); bigint division truncates, so adjust for negative quotients.
  const a = 2n * num + den;
  const b = 2n * den;
  const q = a / b;
  return a < 0n && a % b !== 0n ? q - 1n : q;
}

/** Percent-off as integer hundredths of a percent (25.5% -> 2550), the precision Stripe allows. */
export function percentToBasis(percentOff: number): bigint {
  return BigInt(Math.round(percentOff * 100));
}

/**
 * MRR of one period amount after percent discounts (applied one after another) normalised by the
 * monthly factor, rounded half-up once.
 */
export function normaliseToMonthly(periodAmount: bigint, percentOffs: number[], factor: Ratio): bigint {
  if (periodAmount <= 0n) return 0n;
  let num = periodAmount * factor.num;
  let den = factor.den;
  for (const p of percentOffs) {
    const bp = percentToBasis(p);
    const keep = bp >= 10000n ? 0n : bp <= 0n ? 10000n : 10000n - bp;
    num *= keep;
    den *= 10000n;
  }
  return roundHalfUp(num, den);
}
