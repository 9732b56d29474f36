import { formatMoney as formatMinorUnits, minorUnitExponent } from '@org/billing-ledger/money';

/**
 * Display formatting at the edge: money arrives as integer minor units plus a currency code and
 * is formatted by the ledger's formatter (Stripe's currency exponents: 150000 huf is
 * "HUF 1,500.00", not "HUF 150,000"), the one the reports and the CLI use.
 */

/** Minor-unit exponent of a currency as Stripe counts it (2 usd, 0 jpy, 2 huf and isk, 3 kwd). */
export const minorUnitDigits = (currency: string): number => minorUnitExponent(currency);

export function formatMoney(minor: number | null | undefined, currency: string, compact = false): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return '—';
  return formatMinorUnits(minor, currency, { compact });
}

const integer = new Intl.NumberFormat('en-US', { signDisplay: 'negative', maximumFractionDigits: 0 });
export const formatCount = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : integer.format(n);

/** `toFixed` without a negative zero: -0.0001 at 1 digit is "0.0", not "-0.0". */
function fixed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${fixed(ratio * 100, digits)}%`;
}

export function formatRatio(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : fixed(x, digits);
}

/** Relative change against the previous period; null when there is no base. */
export function change(
  current: number | null | undefined,
  previous: number | null | undefined,
): number | null {
  if (current === null || current === undefined || previous === null || previous === undefined) return null;
  if (previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

export const formatDateTime = (d: Date | string | null | undefined) =>
  d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '—';

const decimal = new Intl.NumberFormat('en-US', { signDisplay: 'negative', maximumFractionDigits: 2 });

/** A value in a figure-catalog unit (`figure(key).unit` of @org/insights), "—" without one. */
export function formatUnit(
  unit: 'money' | 'count' | 'ratio' | 'number' | 'seconds',
  value: number | null | undefined,
  currency: string,
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'money':
      return formatMoney(value, currency);
    case 'ratio':
      return formatPercent(value);
    case 'count':
      return formatCount(value);
    case 'seconds':
      return formatDuration(value);
    default:
      return decimal.format(value);
  }
}

export const formatDuration = (s: number | null | undefined) =>
  s === null || s === undefined || !Number.isFinite(s)
    ? '—'
    : s < 3600
      ? `${Math.round(s / 60)} min`
      : s < 86400
        ? `${(s / 3600).toFixed(1)} h`
        : `${(s / 86400).toFixed(1)} d`;
