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
 * MRR of one period amount (minor units, or an exact fraction of them for decimal unit amounts)
 * after percent discounts (applied one after another) normalised by the monthly factor, rounded
 * half-up once.
 */
export function normaliseToMonthly(
  periodAmount: bigint | Ratio,
  percentOffs: number[],
  factor: Ratio,
): bigint {
  const amount = typeof periodAmount === 'bigint' ? { num: periodAmount, den: 1n } : periodAmount;
  if (amount.num <= 0n || amount.den <= 0n) return 0n;
  let num = amount.num * factor.num;
  let den = amount.den * factor.den;
  for (const p of percentOffs) {
    const bp = percentToBasis(p);
    const keep = bp >= 10000n ? 0n : bp <= 0n ? 10000n : 10000n - bp;
    num *= keep;
    den *= 10000n;
  }
  return roundHalfUp(num, den);
}

/**
 * Exponent of a currency's minor unit as Stripe's API counts amounts: 0 for zero-decimal
 * currencies (JPY: amounts are whole yen), 3 for three-decimal currencies (KWD: fils), 2 for the
 * rest. ISK, HUF and TWD are sent to Stripe as two-decimal amounts, so they stay at 2 here.
 */
const zeroDecimal = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const threeDecimal = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function minorUnitExponent(currency: string): number {
  const c = currency.toLowerCase();
  return zeroDecimal.has(c) ? 0 : threeDecimal.has(c) ? 3 : 2;
}

/**
 * A decimal amount as Stripe writes it (`unit_amount_decimal`: "1234.5", "0.000000000001", "12")
 * as an exact ratio of minor units; null unless a plain non-negative decimal.
 */
export function parseDecimalAmount(text: string): Ratio | null {
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m) return null;
  const frac = m[2] ?? '';
  return { num: BigInt(`${m[1]}${frac}`), den: 10n ** BigInt(frac.length) };
}

/** An exchange rate written as a plain decimal ("1.0845", "0.0067") as an exact ratio; null if not a positive decimal. */
export function parseDecimal(text: string): Ratio | null {
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m) return null;
  const frac = m[2] ?? '';
  const num = BigInt(`${m[1]}${frac}`);
  if (num === 0n) return null;
  const den = 10n ** BigInt(frac.length);
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

/**
 * Factor that turns minor units of `from` into minor units of `to` for a rate given per major
 * unit (1 `from` = rate `to`): rate x 10^(exp(to) - exp(from)). 1 USD = 150 JPY turns 1000 cents
 * into 1500 yen; 1 JPY = 0.0067 USD turns 1500 yen into 1005 cents.
 */
export function conversionFactor(rate: Ratio, from: string, to: string): Ratio {
  const k = minorUnitExponent(to) - minorUnitExponent(from);
  const num = k >= 0 ? rate.num * 10n ** BigInt(k) : rate.num;
  const den = k >= 0 ? rate.den : rate.den * 10n ** BigInt(-k);
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** Converts minor units of `from` into minor units of `to` at `rate`, rounded half-up once. */
export function convertMinor(amount: bigint, rate: Ratio, from: string, to: string): bigint {
  if (from.toLowerCase() === to.toLowerCase()) return amount;
  const f = conversionFactor(rate, from, to);
  return roundHalfUp(amount * f.num, f.den);
}

/* ---------------------------------------------------------------------------------------------
 * Display: the one money formatter of the project (dashboard, reports, CLI).
 * ------------------------------------------------------------------------------------------- */

export interface MoneyFormatOptions {
  /** Short form for chart axes and tight spaces: "$1.2K", "¥3.4M" (at most one decimal). */
  compact?: boolean | undefined;
  /** A change rather than an amount: "+$1.00" for a rise, "-$1.00" for a fall, "$0.00" for none. */
  signed?: boolean | undefined;
}

const displayFormats = new Map<string, Intl.NumberFormat | null>();

function displayFormat(code: string, digits: number, options: MoneyFormatOptions): Intl.NumberFormat | null {
  const key = `${code}|${digits}|${options.compact ? 1 : 0}|${options.signed ? 1 : 0}`;
  let f = displayFormats.get(key);
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: code,
        // Stripe's exponent, not Intl's: Intl prints HUF and ISK with 0 decimals, Stripe counts
        // them in hundredths.
        ...(options.compact
          ? { notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }
          : { minimumFractionDigits: digits, maximumFractionDigits: digits }),
        // Never "-$0.00": no sign on zero (nor on an amount that rounds to zero in compact form).
        signDisplay: options.signed ? 'exceptZero' : 'negative',
      });
    } catch {
      f = null; // not an ISO 4217 code Intl accepts
    }
    displayFormats.set(key, f);
  }
  return f;
}

/** Minor units as an exact decimal string in major units: 150000 HUF -> "1500.00", -5 KWD -> "-0.005". */
export function minorToDecimal(minor: bigint, currency: string): string {
  const digits = minorUnitExponent(currency);
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits ? `.${text.slice(text.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Integer minor units of `currency` for display, with Stripe's exponents (`minorUnitExponent`):
 * 123456 usd -> "$1,234.56", 1234 jpy -> "¥1,234", 150000 huf -> "HUF 1,500.00", 1234 kwd ->
 * "KWD 1.234", -500 usd -> "-$5.00". en-US, so output is stable across machines. A non-integer
 * number is rounded half away from zero to a minor unit first; NaN and infinities are refused.
 */
export function formatMoney(
  minor: number | bigint,
  currency: string,
  options: MoneyFormatOptions = {},
): string {
  if (typeof minor === 'number' && !Number.isFinite(minor))
    throw new RangeError(`formatMoney needs a finite amount, got ${minor}`);
  const units = typeof minor === 'bigint' ? minor : BigInt(Math.sign(minor) * Math.round(Math.abs(minor)));
  const code = currency.toUpperCase();
  const decimal = minorToDecimal(units, currency);
  const f = displayFormat(code, minorUnitExponent(currency), options);
  if (f) return f.format(decimal as unknown as number); // a decimal string formats exactly
  const sign = units < 0n ? '-' : options.signed && units > 0n ? '+' : '';
  return `${sign}${decimal.replace(/^-/, '')} ${code}`;
}

/**
 * A decimal amount in major units ("500", "1234.5") as integer minor units of `currency`; null
 * unless a plain non-negative decimal with no more decimals than the currency has.
 */
export function majorToMinor(major: string | number, currency: string): bigint | null {
  const text = typeof major === 'number' ? (Number.isFinite(major) ? String(major) : '') : major;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m) return null;
  const digits = minorUnitExponent(currency);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return null;
  return BigInt(`${m[1]}${fraction.padEnd(digits, '0')}`);
}
