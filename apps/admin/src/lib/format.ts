/** Display formatting at the edge: money arrives as integer minor units plus a currency code. */
const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string, compact: boolean): Intl.NumberFormat {
  const key = `${currency}:${compact}`;
  let f = moneyFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
    });
    moneyFormats.set(key, f);
  }
  return f;
}

/** Minor-unit exponent of a currency (2 for usd, 0 for jpy), from Intl's own data. */
export function minorUnitDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

export function formatMoney(minor: number | null | undefined, currency: string, compact = false): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return '—';
  return moneyFormat(currency, compact).format(minor / 10 ** minorUnitDigits(currency));
}

const integer = new Intl.NumberFormat('en-US');
export const formatCount = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : integer.format(n);

export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function formatRatio(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
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
