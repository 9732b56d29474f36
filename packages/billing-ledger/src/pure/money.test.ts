import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conversionFactor,
  convertMinor,
  formatMoney,
  majorToMinor,
  minorToDecimal,
  minorUnitExponent,
  monthlyFactor,
  normaliseToMonthly,
  parseDecimal,
  roundHalfUp,
} from './money.ts';

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

describe('currency conversion in minor units', () => {
  it('knows the minor unit of zero- and three-decimal currencies', () => {
    expect(minorUnitExponent('usd')).toBe(2);
    expect(minorUnitExponent('JPY')).toBe(0);
    expect(minorUnitExponent('krw')).toBe(0);
    expect(minorUnitExponent('kwd')).toBe(3);
    expect(minorUnitExponent('isk')).toBe(2); // sent to Stripe as two-decimal amounts
  });
  it('parses decimal rates exactly', () => {
    expect(parseDecimal('1.0845000000')).toEqual({ num: 2169n, den: 2000n });
    expect(parseDecimal('150')).toEqual({ num: 150n, den: 1n });
    expect(parseDecimal('0')).toBeNull();
    expect(parseDecimal('-1.2')).toBeNull();
    expect(parseDecimal('1e3')).toBeNull();
  });
  it('scales by the minor units of both currencies', () => {
    const r = (x: string) => parseDecimal(x)!;
    // 1 USD = 150 JPY: 10.00 USD -> 1500 yen.
    expect(convertMinor(1000n, r('150'), 'usd', 'jpy')).toBe(1500n);
    // 1 JPY = 0.0067 USD: 1500 yen -> 10.05 USD.
    expect(convertMinor(1500n, r('0.0067'), 'jpy', 'usd')).toBe(1005n);
    // 1 EUR = 1.0845 USD: 19.99 EUR -> 21.679155 -> 21.68 USD.
    expect(convertMinor(1999n, r('1.0845'), 'eur', 'usd')).toBe(2168n);
    // 1 KWD = 3.25 USD: 1.000 KWD (1000 fils) -> 3.25 USD.
    expect(convertMinor(1000n, r('3.25'), 'kwd', 'usd')).toBe(325n);
    // Halves round up: 1 cent at 0.5 -> 0.5 cent -> 1.
    expect(convertMinor(1n, r('0.5'), 'eur', 'usd')).toBe(1n);
    expect(convertMinor(1234n, r('9.99'), 'usd', 'usd')).toBe(1234n);
    expect(conversionFactor(r('150'), 'usd', 'jpy')).toEqual({ num: 3n, den: 2n });
  });
  it('is within half a minor unit of the exact value', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.constantFrom('usd', 'jpy', 'kwd'),
        fc.constantFrom('eur', 'krw', 'bhd'),
        (amount, micro, from, to) => {
          const rate = { num: BigInt(micro), den: 1_000_000n };
          const got = convertMinor(amount, rate, from, to);
          const k = minorUnitExponent(to) - minorUnitExponent(from);
          // |got - exact| <= 1/2  <=>  |2 got den 10^-k - 2 amount num| <= den 10^-k (scaled to integers)
          const scaleNum = k >= 0 ? 10n ** BigInt(k) : 1n;
          const scaleDen = k >= 0 ? 1n : 10n ** BigInt(-k);
          const exactNum = amount * rate.num * scaleNum;
          const exactDen = rate.den * scaleDen;
          const diff = 2n * got * exactDen - 2n * exactNum;
          expect(diff <= exactDen && diff >= -exactDen).toBe(true);
        },
      ),
    );
  });
});

describe('formatMoney', () => {
  it("uses Stripe's exponents, not Intl's", () => {
    expect(formatMoney(123456, 'usd')).toBe('$1,234.56');
    expect(formatMoney(1234, 'jpy')).toBe('¥1,234');
    expect(formatMoney(1234, 'JPY')).toBe('¥1,234');
    // Intl says 0 decimals for HUF and ISK; Stripe counts them in hundredths.
    expect(formatMoney(150000, 'huf')).toBe('HUF\u00a01,500.00');
    expect(formatMoney(150000, 'isk')).toBe('ISK\u00a01,500.00');
    expect(formatMoney(1234, 'kwd')).toBe('KWD\u00a01.234');
    expect(formatMoney(5, 'kwd')).toBe('KWD\u00a00.005');
    expect(formatMoney(1999, 'eur')).toBe('€19.99');
    expect(formatMoney(7n, 'usd')).toBe('$0.07');
  });

  it('prints negatives with a minus and never a negative zero', () => {
    expect(formatMoney(-500, 'usd')).toBe('-$5.00');
    expect(formatMoney(-1234, 'jpy')).toBe('-¥1,234');
    expect(formatMoney(-150000, 'huf')).toBe('-HUF\u00a01,500.00');
    expect(formatMoney(-1, 'kwd')).toBe('-KWD\u00a00.001');
    expect(formatMoney(-0, 'usd')).toBe('$0.00');
    expect(formatMoney(-0.4, 'usd')).toBe('$0.00');
    expect(formatMoney(-0, 'usd', { signed: true })).toBe('$0.00');
    expect(formatMoney(-4, 'usd', { compact: true })).toBe('$0');
    expect(formatMoney(0, 'jpy', { compact: true })).toBe('¥0');
  });

  it('formats changes and compact axis labels', () => {
    expect(formatMoney(100, 'usd', { signed: true })).toBe('+$1.00');
    expect(formatMoney(-100, 'usd', { signed: true })).toBe('-$1.00');
    expect(formatMoney(123456, 'usd', { compact: true })).toBe('$1.2K');
    expect(formatMoney(-123456, 'usd', { compact: true })).toBe('-$1.2K');
    expect(formatMoney(1_234_567, 'jpy', { compact: true })).toBe('¥1.2M');
    expect(formatMoney(150000, 'huf', { compact: true })).toBe('HUF\u00a01.5K');
  });

  it('is exact beyond float precision and tolerates codes Intl does not know', () => {
    expect(formatMoney(1234567890123456789n, 'usd')).toBe('$12,345,678,901,234,567.89');
    expect(formatMoney(1234, 'xx')).toBe('12.34 XX');
    expect(formatMoney(-1234, 'xx')).toBe('-12.34 XX');
    expect(() => formatMoney(Number.NaN, 'usd')).toThrow(RangeError);
  });

  it('round-trips through major units and never prints a minus for a non-negative amount (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.constantFrom('usd', 'jpy', 'huf', 'isk', 'kwd', 'eur', 'krw', 'bhd'),
        (minor, currency) => {
          const text = formatMoney(minor, currency);
          expect(text.startsWith('-')).toBe(minor < 0n);
          expect(text).not.toMatch(/[−]|NaN/);
          const decimal = minorToDecimal(minor < 0n ? -minor : minor, currency);
          expect(majorToMinor(decimal, currency)).toBe(minor < 0n ? -minor : minor);
          // The digits shown are the exact decimal (grouping aside).
          expect(text.replace(/[^0-9.]/g, '')).toBe(decimal);
        },
      ),
    );
  });
});

describe('majorToMinor', () => {
  it('scales by the currency exponent and refuses extra decimals', () => {
    expect(majorToMinor('500', 'usd')).toBe(50000n);
    expect(majorToMinor(500, 'usd')).toBe(50000n);
    expect(majorToMinor('1234.5', 'usd')).toBe(123450n);
    expect(majorToMinor('500', 'jpy')).toBe(500n);
    expect(majorToMinor('500', 'huf')).toBe(50000n);
    expect(majorToMinor('1.234', 'kwd')).toBe(1234n);
    expect(majorToMinor('1.50', 'jpy')).toBeNull();
    expect(majorToMinor('1.00', 'jpy')).toBe(1n);
    expect(majorToMinor('-5', 'usd')).toBeNull();
    expect(majorToMinor('1e3', 'usd')).toBeNull();
  });
});
