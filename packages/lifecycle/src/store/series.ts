import type { Pool } from 'pg';
import { LifecycleError } from '../errors.ts';

export type Interval = 'day' | 'week' | 'month';
export type Level = 'user' | 'account';

export interface LifecyclePoint {
  /** Start of the interval, `YYYY-MM-DD`. */
  period: string;
  new: number;
  returning: number;
  resurrecting: number;
  /** Active in the previous interval, not in this one (PostHog shows it as a negative bar). */
  dormant: number;
}

const DAY_MS = 86_400_000;
/** Periods per query: bit 0 is the period before the first, bits 1..62 the periods (a bigint mask). */
const CHUNK = 62;

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Start (UTC day, ms) of the interval holding `t`: ISO weeks start on Monday. */
function truncate(t: number, g: Interval): number {
  const d = new Date(Math.floor(t / DAY_MS) * DAY_MS);
  if (g === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (g === 'month') d.setUTCDate(1);
  return d.getTime();
}

function shiftPeriods(t: number, g: Interval, n: number): number {
  const d = new Date(t);
  if (g === 'month') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCDate(d.getUTCDate() + n * (g === 'week' ? 7 : 1));
  return d.getTime();
}

/** SQL: the start of the interval holding a date, and the start of the one before it. */
const periodStartSql = (g: Interval, d: string) =>
  g === 'day' ? d : `date_trunc('${g}', ${d}::timestamp)::date`;
const previousStartSql = (g: Interval, start: string) =>
  g === 'day' ? `(${start} - 1)` : `(${start} - interval '1 ${g}')::date`;

/**
 * PostHog lifecycle per interval of [from, to): new (created and active in the interval),
 * returning (active in this and the previous interval), resurrecting (active now, not in the
 * previous interval, not new), dormant (active in the previous interval, not now).
 * Activity after the last day of [from, to) does not count, in the last interval either.
 */
export async function lifecycleSeries(
  pool: Pool,
  input: { interval: Interval; from: Date; to: Date; app: string; level?: Level },
): Promise<LifecyclePoint[]> {
  const g = input.interval;
  if (!['day', 'week', 'month'].includes(g))
    throw new LifecycleError('invalid_query', `interval must be day, week or month, got ${g}`);
  const lastInstant = input.to.getTime() - 1;
  const first = truncate(input.from.getTime(), g);
  const lastPeriod = truncate(lastInstant, g);
  if (!(first <= lastPeriod)) return [];
  const lastDay = Math.floor(lastInstant / DAY_MS) * DAY_MS;
  // A `to` inside a day: the last day's activity counts up to that instant only.
  const until = input.to.getTime() % DAY_MS === 0 ? undefined : input.to;
  if ((input.level ?? 'user') === 'user') return userSeries(pool, g, input.app, first, lastDay, until);
  const chunks: { base: number; n: number; lastDay: number; until?: Date }[] = [];
  for (let p = first; p <= lastPeriod; p = shiftPeriods(p, g, CHUNK)) {
    let n = 0;
    while (n < CHUNK && shiftPeriods(p, g, n) <= lastPeriod) n++;
    const chunkLastDay = Math.min(lastDay, shiftPeriods(p, g, n) - DAY_MS);
    chunks.push({
      base: shiftPeriods(p, g, -1),
      n,
      lastDay: chunkLastDay,
      ...(until && chunkLastDay === lastDay ? { until } : {}),
    });
  }
  const parts = await Promise.all(chunks.map((c) => accountChunk(pool, g, input.app, c)));
  return parts.flat();
}

/**
 * Users' lifecycle from @org/metrics' gap rollup (users active per day by days since their
 * previous active day) in one pass over (days x distinct gaps) rows, whatever the number of users:
 * a user counts in interval P on their first active day d in it, the row with gap 0 or
 * gap > d - start(P); their previous active day d - gap is in the interval before P when
 * gap <= d - start(P - 1). Users created in the range are read with their first active day, to
 * tell the new ones (created in P and active in it) from the returning and resurrecting ones.
 */
async function userSeries(
  pool: Pool,
  g: Interval,
  app: string,
  first: number,
  lastDay: number,
  until?: Date,
): Promise<LifecyclePoint[]> {
  const base = shiftPeriods(first, g, -1);
  const start = periodStartSql(g, 'day');
  const nowSql = until
    ? `case when f >= p then f <= pe and (f < $2::date or exists (
                       select 1 from public.metrics_user_activity_daily a
                       where a.app = $1 and a.user_id = c.user_id and a.day = $2::date and a.first_at < $5))
                     else exists (select 1 from public.metrics_user_activity_daily a
                                  where a.app = $1 and a.user_id = c.user_id and a.day >= p and a.day <= pe
                                    and (a.day < $2::date or a.first_at < $5)) end as now,`
    : `case when f >= p then f <= pe
                     else exists (select 1 from public.metrics_user_activity_daily a
                                  where a.app = $1 and a.user_id = c.user_id and a.day >= p and a.day <= pe) end as now,`;
  const [active, created] = await Promise.all([
    until
      ? // The gap rows up to the day before the last, and for the last day one row per user active
        // before `until` ($4: their first event of the day is before it) with their gap.
        pool.query<{ period: string; active: number; carried: number }>(
          `select to_char(p, 'YYYY-MM-DD') as period,
                  coalesce(sum(users) filter (where gap = 0 or gap > day - p), 0)::int as active,
                  coalesce(sum(users) filter (where gap > day - p and gap <= day - pp), 0)::int as carried
           from (select day, gap, users, ${start} as p, ${previousStartSql(g, start)} as pp from (
                   select day, gap, users from public.metrics_active_gaps where app = $1 and day >= $2::date and day < $3::date
                   union all
                   select $3::date, coalesce($3::date - (select max(q.day) from public.metrics_user_activity_daily q
                                                         where q.app = $1 and q.user_id = d.user_id and q.day < $3::date), 0), 1
                   from public.metrics_user_activity_daily d where d.app = $1 and d.day = $3::date and d.first_at < $4
                 ) g) r
           group by p`,
          [app, isoDay(base), isoDay(lastDay), until],
        )
      : pool.query<{ period: string; active: number; carried: number }>(
          `select to_char(p, 'YYYY-MM-DD') as period,
              coalesce(sum(users) filter (where gap = 0 or gap > day - p), 0)::int as active,
              coalesce(sum(users) filter (where gap > day - p and gap <= day - pp), 0)::int as carried
       from (select day, gap, users, ${start} as p, ${previousStartSql(g, start)} as pp
             from public.metrics_active_gaps where app = $1 and day >= $2::date and day <= $3::date) r
       group by p`,
          [app, isoDay(base), isoDay(lastDay)],
        ),
    // Users created in the range's intervals: active in their interval of creation (up to the last
    // day, and on the last day before `until`, $5) and in the one before. The first active day answers both for a user first active on or
    // after the interval before; the daily rollup is probed only for the others.
    pool.query<{ period: string; new: number; carried: number }>(
      `select to_char(p, 'YYYY-MM-DD') as period, count(*) filter (where now)::int as new,
              count(*) filter (where now and before)::int as carried
       from (
         select p,
                ${nowSql}
                case when f >= pp then f < p
                     else exists (select 1 from public.metrics_user_activity_daily a
                                  where a.app = $1 and a.user_id = c.user_id and a.day >= pp and a.day < p) end as before
         from (
           select user_id, first_active_day as f, p, ${previousStartSql(g, 'p')} as pp,
                  least(${g === 'day' ? 'p' : `(p + interval '1 ${g}')::date - 1`}, $2::date) as pe
           from (
             select user_id, first_active_day,
                    ${periodStartSql(g, `(coalesce(signed_up_at, first_seen_at) at time zone 'UTC')::date`)} as p
             from public.metrics_users
             where app = $1 and coalesce(signed_up_at, first_seen_at) >= $3 and coalesce(signed_up_at, first_seen_at) < $4
           ) u
         ) c
         offset 0
       ) x
       group by p`,
      until
        ? [app, isoDay(lastDay), new Date(first), new Date(shiftPeriods(truncate(lastDay, g), g, 1)), until]
        : [app, isoDay(lastDay), new Date(first), new Date(shiftPeriods(truncate(lastDay, g), g, 1))],
    ),
  ]);
  const activeBy = new Map(active.rows.map((r) => [r.period, r]));
  const createdBy = new Map(created.rows.map((r) => [r.period, r]));
  const points: LifecyclePoint[] = [];
  let previous = activeBy.get(isoDay(base))?.active ?? 0;
  for (let p = first; p <= lastDay; p = shiftPeriods(p, g, 1)) {
    const a = activeBy.get(isoDay(p)) ?? { active: 0, carried: 0 };
    const n = createdBy.get(isoDay(p)) ?? { new: 0, carried: 0 };
    points.push({
      period: isoDay(p),
      new: n.new,
      returning: a.carried - n.carried,
      resurrecting: a.active - a.carried - (n.new - n.carried),
      dormant: previous - a.carried,
    });
    previous = a.active;
  }
  return points;
}

/**
 * Accounts' lifecycle from the daily account rollup: one hash aggregate gives each account a bit
 * mask of the intervals it was active in (bit 0: the interval before the first); accounts are
 * then grouped by (mask, interval of creation) and each interval's classes are counted from the
 * bits of those groups. Ranges longer than 62 intervals run as several such queries.
 */
async function accountChunk(
  pool: Pool,
  g: Interval,
  app: string,
  chunk: { base: number; n: number; lastDay: number; until?: Date },
): Promise<LifecyclePoint[]> {
  // Interval index of a date relative to the base interval ($2, its first day).
  const index = (d: string) =>
    g === 'day'
      ? `(${d} - $2::date)`
      : g === 'week'
        ? `((date_trunc('week', ${d}::timestamp)::date - $2::date) / 7)`
        : `((extract(year from ${d})::int * 12 + extract(month from ${d})::int) - (extract(year from $2::date)::int * 12 + extract(month from $2::date)::int))`;
  // Accounts grouped by (mask, interval of creation); the mask in two parts JavaScript numbers
  // hold exactly (bits 0..30, bits 31..62).
  // With `until` inside the last day, that day's accounts are the ones with a qualifying event
  // before it ($4), read from the events of [day start ($5), until): one range of the (app, name,
  // time) index for each event name the day has (the daily counts list them).
  const accountDays = chunk.until
    ? `(select account_id, day from public.metrics_account_activity_daily
          where app = $1 and day >= $2::date and day < $3::date
          union all
          select distinct x.account_id, $3::date
          from (select distinct category, name from public.metrics_event_counts_daily
                where app = $1 and day = $3::date and category <> 'system') k
          cross join lateral (
            select e.account_id from public.events e
            where e.app = $1 and e.name = k.name and e.occurred_at >= $5 and e.occurred_at < $4
              and e.category = k.category and e.account_id is not null
          ) x) a`
    : 'public.metrics_account_activity_daily';
  const dayFilter = chunk.until
    ? ''
    : `
       where app = $1 and day >= $2::date and day <= $3::date`;
  const { rows } = await pool.query<{ lo: number; hi: string; c: number | null; n: number }>(
    `with masks as (
       select account_id as s, bit_or(1::bigint << ${index('day')}) as m
       from ${accountDays}${dayFilter}
       group by 1
     )
     select (masks.m & 2147483647)::int as lo, masks.m >> 31 as hi,
            ${index(`(c.created_at at time zone 'UTC')::date`)} as c, count(*)::int as n
     from masks left join (
       select account_id as s, min(coalesce(signed_up_at, first_seen_at)) as created_at
       from public.metrics_users where app = $1 and account_id is not null group by account_id
     ) c on c.s = masks.s
     group by masks.m, 3`,
    chunk.until
      ? [app, isoDay(chunk.base), isoDay(chunk.lastDay), chunk.until, new Date(chunk.lastDay)]
      : [app, isoDay(chunk.base), isoDay(chunk.lastDay)],
  );
  // Each interval's classes from the groups' bits. Counted here rather than in SQL: a daily
  // series has tens of thousands of distinct masks, and a join of every group with every
  // interval took seconds where this loop takes milliseconds.
  const points: LifecyclePoint[] = Array.from({ length: chunk.n }, (_, i) => ({
    period: isoDay(shiftPeriods(chunk.base, g, i + 1)),
    new: 0,
    returning: 0,
    resurrecting: 0,
    dormant: 0,
  }));
  for (const r of rows) {
    const hi = Number(r.hi);
    const bit = (k: number) => (k < 31 ? (r.lo >>> k) & 1 : Math.floor(hi / 2 ** (k - 31)) % 2);
    let previous = bit(0);
    for (let k = 1; k <= chunk.n; k++) {
      const active = bit(k);
      const point = points[k - 1]!;
      if (active) {
        if (r.c === k) point.new += r.n;
        else if (previous) point.returning += r.n;
        else point.resurrecting += r.n;
      } else if (previous) point.dormant += r.n;
      previous = active;
    }
  }
  return points;
}

/** Subjects per stage as of an instant, from the recorded transitions. */
export async function stageDistribution(
  pool: Pool,
  input: { app: string; asOf: Date; level?: Level },
): Promise<{ stage: string; count: number }[]> {
  const { rows } = await pool.query<{ stage: string; count: number }>(
    `select stage, count(*)::int as count from (
       select distinct on (subject_id) to_stage as stage from public.lifecycle_transitions
       where app = $1 and subject_type = $2 and occurred_at <= $3 order by subject_id, occurred_at desc, id desc
     ) s group by stage order by count desc, stage`,
    [input.app, input.level ?? 'user', input.asOf],
  );
  return rows;
}

export interface Transition {
  subjectType: Level;
  subjectId: string;
  from: string | null;
  to: string;
  score: number;
  occurredAt: Date;
}

/** Transitions recorded in [from, to), newest first. */
export async function recentTransitions(
  pool: Pool,
  input: { app: string; from: Date; to: Date; level?: Level; limit?: number },
): Promise<Transition[]> {
  const { rows } = await pool.query<{
    subject_type: Level;
    subject_id: string;
    from_stage: string | null;
    to_stage: string;
    score: string;
    occurred_at: Date;
  }>(
    `select subject_type, subject_id, from_stage, to_stage, score, occurred_at from public.lifecycle_transitions
     where app = $1 and ($2::text is null or subject_type = $2) and occurred_at >= $3 and occurred_at < $4
     order by occurred_at desc, id desc limit $5`,
    [input.app, input.level ?? null, input.from, input.to, input.limit ?? 50],
  );
  return rows.map((r) => ({
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    from: r.from_stage,
    to: r.to_stage,
    score: Number(r.score),
    occurredAt: r.occurred_at,
  }));
}
