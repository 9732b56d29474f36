import { formatMoney as formatMinorUnits } from '@org/billing-ledger';

/**
 * Number formatting shared by the figure catalog, findings and renderers. Pure and locale-fixed
 * (en-US), so output is stable. Money goes through @org/billing-ledger's formatter (Stripe's
 * currency exponents), the one the dashboard and the CLI use too.
 */
export type Unit = 'money' | 'count' | 'ratio' | 'number' | 'seconds';

/** Minor units -> "$1,234.56" (Stripe's exponents: 150000 huf -> "HUF 1,500.00"). */
export function formatMoney(
  minor: number,
  currency: string,
  options: { compact?: boolean | undefined; signed?: boolean | undefined } = {},
): string {
  return formatMinorUnits(minor, currency, options);
}

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Rounded to `digits` decimals, without a sign on a value that rounds to zero ("0.0", never "-0.0"). */
export function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return Number(text) === 0 ? text.replace(/^-/, '') : text;
}

/** 0.1234 -> "12.3%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${fixed(fraction * 100, digits)}%`;
}

/** The no-negative-zero rule for plain numbers too: Intl prints -0 (and -0.001 at 2 decimals) as "-0". */
const plain = (f: Intl.NumberFormat, value: number) => f.format(value).replace(/^-(?=0(\.0*)?$)/, '');

export function formatValue(value: number | null | undefined, unit: Unit, currency: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'money':
      return formatMoney(value, currency);
    case 'count':
      return plain(countFormat, value);
    case 'ratio':
      return formatPercent(value);
    case 'seconds':
      return formatDuration(value);
    default:
      return plain(numberFormat, value);
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}
