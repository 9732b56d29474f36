const DAY = 86_400_000;

/** `YYYY-MM-DD` of an instant, in UTC. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The day a computation "as of" an instant reports on: the UTC day containing `asOf - 1 ms`, so
 * periods stay half-open (`asOf` = midnight means the day that just ended).
 */
export const asOfDay = (asOf: Date): string => utcDay(new Date(asOf.getTime() - 1));

export const addDays = (day: string, n: number): string =>
  utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY));

/** Days of [from, to) as the UTC days touched: day(from) .. day(to - 1 ms). */
export function daysOf(from: Date, to: Date): { first: string; last: string } {
  return { first: utcDay(from), last: asOfDay(to) };
}

/** Rounded ratio, or null when the denominator is 0. */
export const ratio = (num: number, den: number, digits = 4): number | null =>
  den === 0 ? null : Math.round((num / den) * 10 ** digits) / 10 ** digits;

/**
 * The months of the UTC days [first, last] (first days, YYYY-MM-DD) and, per month, the bitmap of
 * its days in the range (bit i = day i + 1), as `metrics_active_days_by_user` takes them.
 */
export function monthMasks(first: string, last: string): { months: string[]; masks: number[] } {
  const lo = Date.parse(`${first}T00:00:00Z`);
  const hi = Date.parse(`${last}T00:00:00Z`);
  const months: string[] = [];
  const masks: number[] = [];
  const d = new Date(lo);
  for (let m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); m <= hi; ) {
    const next = new Date(m);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const fromBit = (Math.max(lo, m) - m) / DAY;
    const toBit = (Math.min(hi, next.getTime() - DAY) - m) / DAY;
    months.push(new Date(m).toISOString().slice(0, 10));
    masks.push(2 ** (toBit + 1) - 2 ** fromBit);
    m = next.getTime();
  }
  return { months, masks };
}
