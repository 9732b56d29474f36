import type { Pool } from 'pg';
import { addPeriods, periodStart, periodsReached } from '../calc/periods.ts';
import {
  buildRetentionMatrix,
  type Granularity,
  type RetentionMatrix,
  type RetentionMode,
} from '../calc/retention.ts';
import { CohortsError } from '../errors.ts';

export interface UserRetentionOptions {
  granularity: Granularity;
  mode: RetentionMode;
  /** Cohorts whose start (signup instant) is in [from, to). */
  from: Date;
  to: Date;
  /**
   * The as-of instant (default `to`): activity before it counts, and a cohort holds only the
   * users who signed up before it (a cohort period still running at `asOf` has only its members
   * so far, so its period 0 is 100% "on").
   */
  asOf?: Date;
  app?: string | undefined;
  /** Periods per cohort (default 12; day granularity 30). */
  periods?: number;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

export function periodIndexSql(granularity: Granularity, day: string, start: string): string {
  if (granularity === 'day') return `(${day} - ${start})`;
  if (granularity === 'week') return `((${day} - ${start}) / 7)`;
  return `((extract(year from ${day})::int * 12 + extract(month from ${day})::int) - (extract(year from ${start})::int * 12 + extract(month from ${start})::int))`;
}

/**
 * User retention: each user's cohort is the day/ISO week/month of their first user_signed_up
 * (else first event); period k counts the cohort's users active in period k ("on") or in period k
 * or later ("on_or_after"), with activity up to `asOf`.
 */
export async function userRetention(pool: Pool, input: UserRetentionOptions): Promise<RetentionMatrix> {
  const g = input.granularity;
  if (!['day', 'week', 'month'].includes(g))
    throw new CohortsError('invalid_query', `granularity must be day, week or month, got ${g}`);
  if (input.mode !== 'on' && input.mode !== 'on_or_after')
    throw new CohortsError('invalid_query', `mode must be on or on_or_after, got ${input.mode}`);
  const cap = input.periods ?? (g === 'day' ? 30 : 12);
  const asOf = input.asOf ?? input.to;
  const lastDay = utcDay(new Date(asOf.getTime() - 1));
  // No member signs up at or after the as-of instant, whatever the cohort range says.
  const membersBefore = new Date(Math.min(asOf.getTime(), input.to.getTime()));
  const params: unknown[] = [input.app ?? null, input.from, membersBefore, lastDay, cap];
  const cohortBits = g === 'week' && cap <= MAX_COHORT_WEEK_BIT + 1;
  // As of an instant inside a day, the rollups answer up to the day before ($4) and the as-of day
  // counts for a user whose first event of it is before the instant.
  const insideDay = asOf.getTime() % DAY_MS !== 0;
  if (insideDay && !cohortBits) {
    params[3] = utcDay(new Date(Date.parse(`${lastDay}T00:00:00Z`) - DAY_MS));
    params.push(lastDay, asOf);
  }
  const cells = cohortBits
    ? weekCellsFromCohortBits(input.mode, lastDay, params, insideDay ? asOf : undefined)
    : insideDay
      ? cellsUpToInstant(g, input.mode)
      : cellsFromRollups(g, input.mode);
  const { rows } = await pool.query<{ cs: string; k: number | null; n: number }>(
    `with u as (
       select app, user_id, cohort_weeks_active,
              date_trunc('${g}', coalesce(signed_up_at, first_seen_at) at time zone 'UTC')::date as cs
       from public.metrics_users
       where ($1::text is null or app = $1) and coalesce(signed_up_at, first_seen_at) >= $2 and coalesce(signed_up_at, first_seen_at) < $3
     ),
     ${cells}
     select to_char(cs, 'YYYY-MM-DD') as cs, null::int as k, n from sizes
     union all
     select to_char(cs, 'YYYY-MM-DD'), k, n from cells`,
    params,
  );
  const sizes = new Map<string, number>();
  const counts = [];
  for (const r of rows) {
    if (r.k === null) sizes.set(r.cs, r.n);
    else counts.push({ cohortStart: r.cs, period: r.k, retained: r.n });
  }
  return buildRetentionMatrix({
    granularity: g,
    mode: input.mode,
    sizes,
    counts,
    periodsOf: (cs) => periodsReached(g, cs, lastDay, cap),
  });
}

/** metrics_users.cohort_weeks_active holds weeks 0..62 after the cohort's week. */
const MAX_COHORT_WEEK_BIT = 62;

/**
 * Weekly cells from each user's bitmap of active weeks since their cohort's week: one row per
 * cohort user instead of one per user and week. Weeks before the as-of week count whole; the as-of
 * week counts only days up to the as-of day, which the week rollup tells for the users active in it.
 * Users are grouped by (cohort, bitmap), far fewer groups than users, before the periods are counted.
 * Appends its parameters (the as-of week's mask of days, the as-of week; for an as-of instant
 * inside a day, the mask of the days before it, the instant and the as-of day's bit) to `params`.
 */
function weekCellsFromCohortBits(
  mode: RetentionMode,
  lastDay: string,
  params: unknown[],
  insideDayAsOf?: Date,
): string {
  const asOfWeek = periodStart('week', lastDay);
  const daysIntoWeek =
    (Date.parse(`${lastDay}T00:00:00Z`) - Date.parse(`${asOfWeek}T00:00:00Z`)) / 86_400_000;
  if (insideDayAsOf) {
    // The as-of week's days before the as-of day, then the as-of day up to the instant ($8).
    params.push((1 << daysIntoWeek) - 1, asOfWeek, insideDayAsOf);
  } else params.push((1 << (daysIntoWeek + 1)) - 1, asOfWeek);
  const asOfMask = '$6::int';
  const asOfWeekSql = '$7::date';
  const counted =
    mode === 'on'
      ? `select b.cs, p.k, sum(b.n)::int as n from by_bits b
         cross join lateral generate_series(0, $5 - 1) as p(k)
         where b.bits & (1::int8 << p.k) <> 0 group by b.cs, p.k`
      : // the last week active, the highest bit set: 64 - (position of the first 1 of the 64 bits)
        `select b.cs, p.k, sum(b.n)::int as n from by_bits b
         cross join lateral generate_series(0, least(64 - position('1' in b.bits::bit(64)::text), $5 - 1)) as p(k)
         where b.bits <> 0 group by b.cs, p.k`;
  // The as-of week's days matter only when activity after the as-of day is stored (an as-of in
  // the past): the last active day of the scope answers that once. Then they are a scalar subquery
  // inside the CASE, a primary-key probe for each user active that week.
  const wholeAsOfWeek = insideDayAsOf
    ? `((select max(g.day) from public.metrics_active_gaps g where g.app = coalesce($1, '*')) < $4::date)`
    : `(${asOfMask} = 127 or (select max(g.day) from public.metrics_active_gaps g where g.app = coalesce($1, '*')) <= $4::date)`;
  const activeInAsOfWeek = insideDayAsOf
    ? `((
                        select w.days & ${asOfMask} from public.metrics_user_active_weeks w
                        where w.app = u.app and w.user_id = u.user_id and w.week = ${asOfWeekSql}) <> 0
                        or (u.app, u.user_id) in (select app, user_id from as_of_day))`
    : `(
                        select w.days & ${asOfMask} from public.metrics_user_active_weeks w
                        where w.app = u.app and w.user_id = u.user_id and w.week = ${asOfWeekSql}) <> 0`;
  return `${
    insideDayAsOf
      ? `${activeOnDayBefore('$4', '$8')},
     `
      : ''
  }by_bits as (
       select u.cs, case
         when a.k < 0 then 0::int8
         else (case when a.k > ${MAX_COHORT_WEEK_BIT} then u.cohort_weeks_active else u.cohort_weeks_active & ((1::int8 << a.k) - 1) end)
              | case when a.k <= ${MAX_COHORT_WEEK_BIT} and u.cohort_weeks_active & (1::int8 << a.k) <> 0
                      and (${wholeAsOfWeek} or ${activeInAsOfWeek})
                     then 1::int8 << a.k else 0::int8 end
         end as bits, count(*)::int as n
       from u cross join lateral (select (${asOfWeekSql} - u.cs) / 7 as k) a
       group by 1, 2
     ),
     sizes as (select cs, sum(n)::int as n from by_bits group by cs),
     cells as (${counted})`;
}

/**
 * Cells from the per-user rollups: each (app, user) active in period k of its cohort, once. Weeks
 * and months read the bitmap rollups (one row per user and week/month, masked at the as-of day);
 * days read the daily rollup (for "on", only the first `cap` days of the cohort). "On or after"
 * days and months need only each user's last active period (`lastPeriodCells`).
 */
function cellsFromRollups(g: Granularity, mode: RetentionMode, asOfDayRows?: string): string {
  if (mode === 'on_or_after' && g !== 'week') return lastPeriodCells(g);
  const act =
    g === 'week'
      ? `select u.cs, u.app, u.user_id, (w.week - u.cs) / 7 as k
         from u join public.metrics_user_active_weeks w on w.app = u.app and w.user_id = u.user_id
         where w.week >= u.cs and w.week <= $4::date
           -- constant bound: rows before the first cohort never reach the join
           and w.week >= date_trunc('week', $2::timestamptz at time zone 'UTC')::date
           and (w.days & ((1 << (least(6, $4::date - w.week) + 1)) - 1)) <> 0`
      : g === 'month'
        ? `select u.cs, u.app, u.user_id, ${periodIndexSql(g, 'm.month', 'u.cs')} as k
           from u join public.metrics_user_active_months m on m.app = u.app and m.user_id = u.user_id
           where m.month >= u.cs and m.month <= $4::date
             and (m.days & (((1::int8 << (least($4::date, (m.month + interval '1 month')::date - 1) - m.month + 1)) - 1)::int4)) <> 0`
        : `select u.cs, u.app, u.user_id, ${periodIndexSql(g, 'd.day', 'u.cs')} as k
           from u join public.metrics_user_activity_daily d on d.app = u.app and d.user_id = u.user_id
           where d.day >= u.cs and d.day <= $4::date${mode === 'on' ? ' and d.day < u.cs + $5::int' : ''}`;
  // Rows of the as-of day (inside it): one per user, a period of its own for days; weeks and
  // months may hold it already.
  const actAsOf = !asOfDayRows
    ? act
    : g === 'day'
      ? `${act}
           union all ${asOfDayRows}`
      : `select distinct * from (${act}
           union all ${asOfDayRows}) a`;
  return `${
    asOfDayRows
      ? `${activeOnDayBefore('$6', '$7')},
     `
      : ''
  }act as (${actAsOf}),
     sizes as (select cs, count(*)::int as n from u group by cs),
     cells as (
       ${
         mode === 'on'
           ? `select cs, k, count(*)::int as n from act where k < $5 group by cs, k`
           : `select m.cs, p.k, count(*)::int as n from (select cs, app, user_id, max(k) as mk from act group by cs, app, user_id) m
              cross join lateral generate_series(0, least(m.mk, $5 - 1)) as p(k) group by m.cs, p.k`
       }
     )`;
}

/**
 * SQL (as of an instant inside a day): the CTE `as_of_day` of the scope's (app, user) pairs active
 * on `day` before `instant`, from the daily rollup's first event of the day: one index range of
 * that day's rows per app. Queries look users up in it by a hashed `in`.
 */
function activeOnDayBefore(day: string, instant: string): string {
  return `as_of_day as materialized (
       select d.app, d.user_id from public.metrics_user_activity_daily d
       where d.app = any(case when $1::text is null then array(${ALL_APPS}) else array[$1::text] end)
         and d.day = ${day}::date and d.first_at < ${instant}
     )`;
}

/** SQL: every app with users, by a loose index scan of metrics_users. */
const ALL_APPS = `with recursive a as (
         (select app from public.metrics_users order by app limit 1)
         union all
         select (select m.app from public.metrics_users m where m.app > a.app order by m.app limit 1) from a where a.app is not null
       ) select app from a where app is not null`;

/**
 * Cells as of an instant inside the as-of day: the rollups answer up to the day before (`$4`), and
 * the as-of day (`$6`) counts for each cohort user whose first event of it (the daily rollup's
 * `first_at`, a primary-key probe) is before the instant (`$7`).
 */
function cellsUpToInstant(g: Granularity, mode: RetentionMode): string {
  if (mode === 'on_or_after' && g !== 'week') return lastPeriodCells(g, true);
  return cellsFromRollups(
    g,
    mode,
    `select u.cs, u.app, u.user_id, ${periodIndexSql(g, '$6::date', 'u.cs')} as k
           from u where (u.app, u.user_id) in (select app, user_id from as_of_day) and $6::date >= u.cs`,
  );
}

/**
 * "On or after" cells from each user's last active day or month up to the as-of day: one backward
 * index probe per cohort user (the rollups' keys start with app and user) instead of every row of
 * their activity.
 */
function lastPeriodCells(g: 'day' | 'month', insideDay = false): string {
  const last =
    g === 'day'
      ? `select max(d.day) from public.metrics_user_activity_daily d
         where d.app = u.app and d.user_id = u.user_id and d.day >= u.cs and d.day <= $4::date`
      : `select max(m.month) from public.metrics_user_active_months m
         where m.app = u.app and m.user_id = u.user_id and m.month >= u.cs and m.month <= $4::date
           and (m.days & (((1::int8 << (least($4::date, (m.month + interval '1 month')::date - 1) - m.month + 1)) - 1)::int4)) <> 0`;
  // Inside the as-of day: the rollups up to the day before, or the as-of day ($6) when the user's
  // first event of it is before the instant ($7).
  const lastAsOf = insideDay
    ? `select greatest((${last}),
           case when (u.app, u.user_id) in (select app, user_id from as_of_day) and $6::date >= u.cs then $6::date end)`
    : last;
  return `${
    insideDay
      ? `${activeOnDayBefore('$6', '$7')},
     `
      : ''
  }last_active as (
       select u.cs, least(${periodIndexSql(g, 'l.at', 'u.cs')}, $5 - 1) as mk, count(*)::int as n
       from u cross join lateral (${lastAsOf}) as l(at)
       where l.at is not null
       group by 1, 2
     ),
     sizes as (select cs, count(*)::int as n from u group by cs),
     cells as (
       select l.cs, p.k, sum(l.n)::int as n from last_active l
       cross join lateral generate_series(0, l.mk) as p(k) group by l.cs, p.k
     )`;
}

/** The `count` most recent cohort periods ending with the one containing `asOf - 1 ms`. */
export function recentCohortRange(
  granularity: Granularity,
  asOf: Date,
  count: number,
): { from: Date; to: Date } {
  const last = periodStart(granularity, utcDay(new Date(asOf.getTime() - 1)));
  const first = addPeriods(granularity, last, -(count - 1));
  return {
    from: new Date(`${first}T00:00:00Z`),
    to: new Date(`${addPeriods(granularity, last, 1)}T00:00:00Z`),
  };
}
