/** Number formatting shared by findings and renderers. Pure and locale-fixed (en-US), so output is stable. */

export type Unit = 'money' | 'count' | 'ratio' | 'number' | 'seconds';

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
  let f = moneyFormats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    moneyFormats.set(currency, f);
  }
  return f;
}

/** Decimal places of a currency's minor unit (2 for usd, 0 for jpy). */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units -> "$1,234.56". */
export function formatMoney(minor: number, currency: string): string {
  return moneyFormat(currency).format(minor / 10 ** minorDigits(currency));
}

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** 0.1234 -> "12.3%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatValue(value: number | null | undefined, unit: Unit, currency: string): string {
  if (value === null || value === undefined) return 'n/a';
  switch (unit) {
    case 'money':
      return formatMoney(value, currency);
    case 'count':
      return countFormat.format(value);
    case 'ratio':
      return formatPercent(value);
    case 'seconds':
      return formatDuration(value);
    default:
      return numberFormat.format(value);
  }
}

/** Signed change: "+12.5%" for a relative change, "+3" / "+$1.00" / "+2.0 pp" for absolute ones. */
export function formatChange(
  change: { absolute: number; relative: number | null } | null,
  unit: Unit,
  currency: string,
): string {
  if (!change) return 'n/a';
  const sign = (n: number) => (n > 0 ? '+' : n < 0 ? '-' : '±');
  if (unit === 'ratio') return `${sign(change.absolute)}${(Math.abs(change.absolute) * 100).toFixed(1)} pp`;
  if (change.relative !== null)
    return `${sign(change.relative)}${(Math.abs(change.relative) * 100).toFixed(1)}%`;
  if (change.absolute === 0) return '±0';
  return `${sign(change.absolute)}${formatValue(Math.abs(change.absolute), unit, currency)} (from 0)`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}
