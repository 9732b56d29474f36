/**
 * Calendar arithmetic for event timestamps, correct for every year 0000-9999. `Date.UTC(y, ...)`
 * and `new Date(y, ...)` read years 0-99 as 1900-1999, so none of this goes through them:
 * `setUTCFullYear` takes the year as given.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of a UTC calendar instant, for any year (0 = 1 BC, as ISO 8601 counts). */
export function utcMillis(year: number, month: number, day = 1, hours = 0, minutes = 0, seconds = 0, ms = 0) {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hours, minutes, seconds, ms);
  return d.getTime();
}

const daysInMonth = (year: number, month: number) =>
  month === 2
    ? (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Epoch milliseconds of an ISO 8601 timestamp with a UTC offset (`2026-03-01T10:00:00.123Z`,
 * `...+02:00`), or null when it is not one or names no real instant (Feb 30, hour 24, an offset
 * beyond +-15:59, which Postgres refuses). Fractions beyond milliseconds are truncated.
 */
export function parseIsoInstant(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [year, month, day, hours, minutes] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 15 || om > 59) return null;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return utcMillis(year, month, day, hours, minutes, seconds, ms) - offset;
}

/** `YYYY-MM` (UTC) of an instant; years outside 1-9999 (none in Postgres' calendar) give null. */
export function monthOf(ms: number): string | null {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(year) || year < 1 || year > 9999) return null;
  return `${String(year).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The UTC instants [start, end) of a `YYYY-MM` month, as epoch milliseconds. */
export function monthRange(month: string): { start: number; end: number } {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return { start: utcMillis(year, m), end: m === 12 ? utcMillis(year + 1, 1) : utcMillis(year, m + 1) };
}

/** The months `YYYY-MM` from the one holding `from` to the one holding `to`, inclusive. */
export function monthsBetween(from: number, to: number): string[] {
  const out: string[] = [];
  let month = monthOf(from);
  const last = monthOf(to);
  if (month === null || last === null) return out;
  while (month <= last) {
    out.push(month);
    const next = monthOf(monthRange(month).end);
    if (next === null) break;
    month = next;
  }
  return out;
}

/** An ISO string Postgres reads for any instant of years 0000-9999 (`toISOString` of it). */
export const isoOf = (ms: number): string => new Date(ms).toISOString();
