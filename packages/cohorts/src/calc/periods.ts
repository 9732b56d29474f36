import type { Granularity } from './retention.ts';

const DAY = 86_400_000;
const parse = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** Start of the day/ISO week (Monday)/month containing `day` (all `YYYY-MM-DD`, UTC). */
export function periodStart(granularity: Granularity, day: string): string {
  const t = new Date(parse(day));
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 7)}-01`;
  const dow = (t.getUTCDay() + 6) % 7;
  return new Date(t.getTime() - dow * DAY).toISOString().slice(0, 10);
}

/** Index of the period containing `day` for a cohort starting at `cohortStart`. */
export function periodIndex(granularity: Granularity, cohortStart: string, day: string): number {
  if (granularity === 'day') return Math.round((parse(day) - parse(cohortStart)) / DAY);
  if (granularity === 'week') return Math.floor(Math.round((parse(day) - parse(cohortStart)) / DAY) / 7);
  const [y1, m1] = cohortStart.split('-').map(Number) as [number, number];
  const [y2, m2] = day.split('-').map(Number) as [number, number];
  return y2 * 12 + m2 - (y1 * 12 + m1);
}

/** Periods of a cohort that have started by `lastDay` (inclusive), at most `cap`. */
export function periodsReached(
  granularity: Granularity,
  cohortStart: string,
  lastDay: string,
  cap: number,
): number {
  if (lastDay < cohortStart) return 0;
  return Math.min(cap, periodIndex(granularity, cohortStart, lastDay) + 1);
}

/** `YYYY-MM-DD` n periods after a period start. */
export function addPeriods(granularity: Granularity, start: string, n: number): string {
  if (granularity === 'day') return new Date(parse(start) + n * DAY).toISOString().slice(0, 10);
  if (granularity === 'week') return new Date(parse(start) + 7 * n * DAY).toISOString().slice(0, 10);
  const [y, m] = start.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + n, 1)).toISOString().slice(0, 10);
}
