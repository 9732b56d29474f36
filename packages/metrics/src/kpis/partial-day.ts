/**
 * SQL for an as-of instant inside a UTC day. The daily rollups hold whole days, so a query as of
 * 15:00 reads them up to the day before and takes the as-of day's part from the per-user daily
 * activity rollup, whose `first_at` and `last_at` are the user's first and last qualifying event
 * of the day: a user is active on day D before instant t exactly when `first_at < t`. Events are
 * read only where those two instants cannot tell (a user's event count of a part of a day, a part
 * bounded on both sides: the user's time index), and for the event-name figures (feature usage,
 * core-action counts: the part's events by the (app, name, time) index).
 */

const DAY_MS = 86_400_000;

/** Whether an instant is a UTC midnight: the rollups answer periods ending there. */
export const isMidnight = (t: Date): boolean => t.getTime() % DAY_MS === 0;

/** SQL: every app with users, by a loose index scan of metrics_users (no parameter). */
const ALL_APPS_SQL = `with recursive a as (
    (select app from public.metrics_users order by app limit 1)
    union all
    select (select u.app from public.metrics_users u where u.app > a.app order by u.app limit 1) from a where a.app is not null
  ) select app from a where app is not null`;

/**
 * SQL: the users of a rollup scope (`scope`: an app, or `*`) active on `day` before the instant
 * `before`, i.e. with a qualifying event in [day, before). One index range of the daily rollup
 * per app (`metrics_user_activity_daily_day`; the apps as an array, which the index takes, where
 * `in (subquery)` was planned as a scan of the whole rollup).
 */
export function partialDayUsers(allApps: boolean, scope: string, day: string, before: string): string {
  return allApps
    ? `select distinct d.user_id from public.metrics_user_activity_daily d
       where d.app = any(array(${ALL_APPS_SQL})) and d.day = ${day}::date and d.first_at < ${before}`
    : `select d.user_id from public.metrics_user_activity_daily d
       where d.app = ${scope} and d.day = ${day}::date and d.first_at < ${before}`;
}

/**
 * SQL: rows `(day, gap, users)` shaped like `metrics_active_gaps` for `day` as of the instant
 * `before` inside it: one row per user active that day before the instant, with the days since
 * their previous active day (a backward primary-key probe of the scope's days; 0 = none). The
 * gap of a day never depends on later days, so these rows replace the rollup's rows of `day` and
 * every gap formula reads them unchanged.
 */
export function partialDayGapRows(allApps: boolean, scope: string, day: string, before: string): string {
  const days = allApps ? 'public.metrics_user_active_days' : 'public.metrics_user_activity_daily';
  return `select ${day}::date as day,
       coalesce(${day}::date - (select max(p.day) from ${days} p
                                where p.app = ${scope} and p.user_id = t.user_id and p.day < ${day}::date), 0) as gap,
       1 as users
     from (${partialDayUsers(allApps, scope, day, before)}) t`;
}

const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

/** A part of one UTC day: the instants [lo, hi) of `day`. */
export interface DayPart {
  day: string;
  lo: Date;
  hi: Date;
}

/**
 * A period [from, to) as the whole UTC days the rollups answer (`whole`, null when none) and the
 * parts of days at its ends (a `from` or `to` inside a day; one part when both are inside the
 * same day).
 */
export function splitPeriod(
  from: Date,
  to: Date,
): { whole: { first: string; last: string } | null; parts: DayPart[] } {
  const lo = from.getTime();
  const hi = to.getTime();
  if (!(lo < hi)) return { whole: null, parts: [] };
  const firstWhole = Math.ceil(lo / DAY_MS) * DAY_MS;
  const endWhole = Math.floor(hi / DAY_MS) * DAY_MS;
  if (endWhole < firstWhole) return { whole: null, parts: [{ day: dayOf(lo), lo: from, hi: to }] };
  const parts: DayPart[] = [];
  if (lo < firstWhole) parts.push({ day: dayOf(lo), lo: from, hi: new Date(firstWhole) });
  if (endWhole < hi) parts.push({ day: dayOf(endWhole), lo: new Date(endWhole), hi: to });
  return {
    whole: firstWhole < endWhole ? { first: dayOf(firstWhole), last: dayOf(endWhole - DAY_MS) } : null,
    parts,
  };
}
