import type { Pool } from 'pg';
import { addDays, asOfDay, daysOf, ratio, utcDay } from '../calc/time.ts';
import { MetricsError } from '../errors.ts';

/** Every KPI can be narrowed to one app; without `app`, users are counted across apps. */
interface Scope {
  app?: string | undefined;
}
export interface AsOf extends Scope {
  asOf: Date;
}
export interface Period extends Scope {
  /** Inclusive start instant. */
  from: Date;
  /** Exclusive end instant. */
  to: Date;
}

const appFilter = (column = 'app') => `($1::text is null or ${column} = $1)`;

export interface ActiveUsers {
  day: string;
  dau: number;
  wau: number;
  mau: number;
}

/** DAU, WAU (7 days ending on the as-of day) and MAU (30 days) from the daily activity rollup. */
export async function activeUsers(pool: Pool, input: AsOf): Promise<ActiveUsers> {
  const day = asOfDay(input.asOf);
  const { rows } = await pool.query<{ dau: number; wau: number; mau: number }>(
    `select count(distinct user_id) filter (where day = $2::date)::int as dau,
            count(distinct user_id) filter (where day > $2::date - 7)::int as wau,
            count(distinct user_id)::int as mau
     from public.metrics_user_activity_daily
     where ${appFilter()} and day > $2::date - 30 and day <= $2::date`,
    [input.app ?? null, day],
  );
  const r = rows[0]!;
  return { day, dau: r.dau, wau: r.wau, mau: r.mau };
}

/**
 * DAU/WAU/MAU for every UTC day of [from, to). Each active user-day d opens a window of 7 (30)
 * days that ends at the user's next active day at the latest, [d, min(next, d + N)), so the
 * windows of one user never overlap and their union is the union of the [d, d + N): the distinct
 * count on day D is a running sum of +1 (opens) / -1 (closes). One ordered pass over the rollup
 * (lead() over the user's days, read in primary-key order when an app is given), one hash
 * aggregate with three grouping sets (open day, WAU close day, MAU close day), no self-join.
 */
export async function activeUsersSeries(pool: Pool, input: Period): Promise<ActiveUsers[]> {
  const { first, last } = daysOf(input.from, input.to);
  if (last < first) return [];
  const range = `day >= $2::date - 29 and day <= $3::date`;
  // Per app the primary key (app, user_id, day) is unique and ordered. Across apps a user's day
  // may appear once per app: the copies are adjacent in (user_id, day) order and all but the last
  // have lead(day) = day, so dropping those leaves one row per user-day with its next day.
  const where = input.app === undefined ? `$1::text is null and ${range}` : `app = $1 and ${range}`;
  const { rows } = await pool.query<{ day: string; dau: number; wau: number; mau: number }>(
    `with n as (
       select day, least(coalesce(nxt, day + 7), day + 7) as wc, least(coalesce(nxt, day + 30), day + 30) as mc
       from (
         select day, lead(day) over (partition by user_id order by day) as nxt
         from public.metrics_user_activity_daily where ${where}
       ) a
       where nxt is distinct from day
     ),
     deltas as (
       select case when grouping(day) = 0 then 0 when grouping(wc) = 0 then 1 else 2 end as k,
              coalesce(day, wc, mc) as d, count(*) as n
       from n group by grouping sets ((day), (wc), (mc))
     ),
     per_day as (
       select d, sum(n) filter (where k = 0) as opens, sum(n) filter (where k = 1) as wcl, sum(n) filter (where k = 2) as mcl
       from deltas group by d
     ),
     running as (
       select g::date as day, coalesce(opens, 0) as dau,
              sum(coalesce(opens, 0) - coalesce(wcl, 0)) over w as wau,
              sum(coalesce(opens, 0) - coalesce(mcl, 0)) over w as mau
       from generate_series($2::date - 29, $3::date, interval '1 day') g
       left join per_day on per_day.d = g::date
       window w as (order by g)
     )
     select to_char(day, 'YYYY-MM-DD') as day, dau::int, wau::int, mau::int from running where day >= $2::date order by day`,
    input.app === undefined ? [null, first, last] : [input.app, first, last],
  );
  return rows;
}

export interface Stickiness {
  day: string;
  dau: number;
  wau: number;
  mau: number;
  /** Average DAU over the 30 days ending on the as-of day. */
  averageDau30: number;
  /** Headline: averageDau30 / MAU. */
  dauOverMau: number | null;
  dauOverWau: number | null;
  /** PostHog-style: users active in the 30 days, bucketed by the number of days they were active. */
  daysActiveDistribution: { days: number; users: number }[];
}

export async function stickiness(pool: Pool, input: AsOf): Promise<Stickiness> {
  const day = asOfDay(input.asOf);
  const [au, rest] = await Promise.all([
    activeUsers(pool, input),
    pool.query<{ days: number; users: number; total_user_days: number }>(
      `with per_user as (
         select user_id, count(distinct day)::int as days from public.metrics_user_activity_daily
         where ${appFilter()} and day > $2::date - 30 and day <= $2::date group by user_id
       )
       select days, count(*)::int as users, sum(sum(days)) over ()::int as total_user_days from per_user group by days order by days`,
      [input.app ?? null, day],
    ),
  ]);
  const totalUserDays = rest.rows[0]?.total_user_days ?? 0;
  const averageDau30 = Math.round((totalUserDays / 30) * 100) / 100;
  return {
    day,
    dau: au.dau,
    wau: au.wau,
    mau: au.mau,
    averageDau30,
    dauOverMau: au.mau === 0 ? null : ratio(totalUserDays / 30, au.mau),
    dauOverWau: ratio(au.dau, au.wau),
    daysActiveDistribution: rest.rows.map((r) => ({ days: r.days, users: r.users })),
  };
}

export interface ActivationOptions extends Period {
  /** The activation event: a name, or any event of a category (default: category `feature`). */
  activation?: { event: string } | { category: string };
  windowDays?: number;
  /** Events at or after this instant are ignored (default: `to`). */
  asOf?: Date;
}

export interface ActivationRate {
  signedUp: number;
  activated: number;
  rate: number | null;
  windowDays: number;
  activation: { event: string } | { category: string };
}

/** Share of users who signed up in [from, to) and did the activation event within N days of signup. */
export async function activationRate(pool: Pool, input: ActivationOptions): Promise<ActivationRate> {
  const activation = input.activation ?? { category: 'feature' };
  const windowDays = input.windowDays ?? 7;
  const byName = 'event' in activation;
  const { rows } = await pool.query<{ signed_up: number; activated: number }>(
    `select count(*)::int as signed_up,
            count(*) filter (where exists (
              select 1 from public.events e
              where e.app = u.app and e.user_id = u.user_id and ${byName ? 'e.name' : 'e.category'} = $4
                and e.occurred_at >= u.signed_up_at and e.occurred_at < least(u.signed_up_at + make_interval(days => $5), $6)
            ))::int as activated
     from public.metrics_users u
     where ${appFilter('u.app')} and u.signed_up_at >= $2 and u.signed_up_at < $3`,
    [
      input.app ?? null,
      input.from,
      input.to,
      byName ? activation.event : activation.category,
      windowDays,
      input.asOf ?? input.to,
    ],
  );
  const r = rows[0]!;
  return {
    signedUp: r.signed_up,
    activated: r.activated,
    rate: ratio(r.activated, r.signed_up),
    windowDays,
    activation,
  };
}

export interface FunnelOptions extends Period {
  /** Ordered event names (2 to 10). */
  steps: string[];
  /** Conversion window from step 1 (default 14 days). */
  windowDays?: number;
  /** Later steps at or after this instant are ignored (default: no bound beyond the window). */
  asOf?: Date;
}

export interface FunnelStep {
  step: number;
  name: string;
  users: number;
  /** Share of step 1. */
  conversion: number | null;
  /** Share of the previous step. */
  conversionFromPrevious: number | null;
  /** Median seconds from the previous step (null for step 1 or no converters). */
  medianSecondsFromPrevious: number | null;
}

/**
 * Ordered funnel: a user enters with their first step-1 event in [from, to); step k counts the
 * first step-k event strictly after the user's step k-1 and before step-1 time + window.
 */
export async function funnel(pool: Pool, input: FunnelOptions): Promise<FunnelStep[]> {
  const steps = input.steps;
  if (steps.length < 2 || steps.length > 10)
    throw new MetricsError('invalid_query', 'a funnel has 2 to 10 steps');
  const windowDays = input.windowDays ?? 14;
  const params: unknown[] = [input.app ?? null, input.from, input.to, windowDays, input.asOf ?? null];
  const ctes: string[] = [];
  steps.forEach((name, i) => {
    params.push(name);
    const p = `$${params.length}`;
    if (i === 0) {
      ctes.push(`s1 as (
        select user_id, min(occurred_at) as t1, min(occurred_at) as t from public.events
        where ${appFilter()} and name = ${p} and user_id is not null and occurred_at >= $2 and occurred_at < $3
        group by user_id)`);
    } else {
      // One index probe per user and partition: the first step-k event after the previous step
      // (events_user_name_time: user_id, name, occurred_at, app included).
      ctes.push(`s${i + 1} as (
        select s.user_id, s.t1, e.t, extract(epoch from e.t - s.t)::float8 as dt
        from s${i} s cross join lateral (
          select min(e.occurred_at) as t from public.events e
          where e.user_id = s.user_id and e.name = ${p} and ${appFilter('e.app')}
            and e.occurred_at > s.t and e.occurred_at < s.t1 + make_interval(days => $4)
            -- implied by the two bounds above; constant, so partitions are pruned
            and e.occurred_at >= $2 and e.occurred_at < $3::timestamptz + make_interval(days => $4)
            and ($5::timestamptz is null or e.occurred_at < $5)
        ) e
        where e.t is not null)`);
    }
  });
  const selects = steps.map((_, i) =>
    i === 0
      ? `select 1 as step, count(*)::int as users, null::float8 as median from s1`
      : `select ${i + 1}, count(*)::int, percentile_cont(0.5) within group (order by dt) from s${i + 1}`,
  );
  const { rows } = await pool.query<{ step: number; users: number; median: number | null }>(
    `with ${ctes.join(',\n')} ${selects.join(' union all ')} order by 1`,
    params,
  );
  const first = rows[0]?.users ?? 0;
  return rows.map((r, i) => ({
    step: r.step,
    name: steps[i]!,
    users: r.users,
    conversion: ratio(r.users, first),
    conversionFromPrevious: i === 0 ? ratio(r.users, first) : ratio(r.users, rows[i - 1]!.users),
    medianSecondsFromPrevious: r.median === null ? null : Math.round(r.median * 1000) / 1000,
  }));
}

export interface TopUser {
  userId: string;
  accountId: string | null;
  activeDays: number;
  events: number;
  lastActiveDay: string;
}

/** Most active users of [from, to) by active days, then events (from the daily rollup). */
export async function topUsers(pool: Pool, input: Period & { limit?: number }): Promise<TopUser[]> {
  const { first, last } = daysOf(input.from, input.to);
  // Per app, (app, user_id, day) is unique: rank users on the rollup alone and look up the account
  // of the top rows only. Across apps a user's day counts once and the account is the max over
  // the user's apps.
  const sql =
    input.app === undefined
      ? `select d.user_id, max(u.account_id) as account_id, count(distinct d.day)::int as active_days, sum(d.events)::int as events,
                to_char(max(d.day), 'YYYY-MM-DD') as last_day
         from public.metrics_user_activity_daily d
         left join public.metrics_users u on u.app = d.app and u.user_id = d.user_id
         where $1::text is null and d.day >= $2::date and d.day <= $3::date
         group by d.user_id order by active_days desc, events desc, d.user_id limit $4`
      : `select t.user_id, u.account_id, t.active_days, t.events, to_char(t.last_day, 'YYYY-MM-DD') as last_day
         from (
           select user_id, count(*)::int as active_days, sum(events)::int as events, max(day) as last_day
           from public.metrics_user_activity_daily
           where app = $1 and day >= $2::date and day <= $3::date
           group by user_id order by active_days desc, events desc, user_id limit $4
         ) t
         left join public.metrics_users u on u.app = $1 and u.user_id = t.user_id
         order by t.active_days desc, t.events desc, t.user_id`;
  const { rows } = await pool.query<{
    user_id: string;
    account_id: string | null;
    active_days: number;
    events: number;
    last_day: string;
  }>(sql, [input.app ?? null, first, last, input.limit ?? 10]);
  return rows.map((r) => ({
    userId: r.user_id,
    accountId: r.account_id,
    activeDays: r.active_days,
    events: r.events,
    lastActiveDay: r.last_day,
  }));
}

export interface FeatureUsage {
  name: string;
  events: number;
  users: number;
}

/** Events and distinct users per event name of a category (default `feature`) in [from, to). */
export async function featureUsage(
  pool: Pool,
  input: Period & { category?: string },
): Promise<FeatureUsage[]> {
  // Two hash aggregates (per name and subject, then per name) over one scan: no sort of the raw
  // events for count(distinct), no name-ordered index walk.
  const { rows } = await pool.query<FeatureUsage>(
    `select name, sum(n)::int as events, count(*)::int as users from (
       select name, coalesce(user_id, 'anon:' || anonymous_id) as subject, count(*) as n
       from public.events
       where ${appFilter()} and category = $4 and occurred_at >= $2 and occurred_at < $3
       group by 1, 2
     ) s
     group by name order by events desc, name`,
    [input.app ?? null, input.from, input.to, input.category ?? 'feature'],
  );
  return rows;
}

export interface UserCounts {
  /** Users whose cohort instant (first signup, else first event) is before `to`. */
  total: number;
  /** Users whose cohort instant is in [from, to). */
  new: number;
}

export async function userCounts(pool: Pool, input: Period): Promise<UserCounts> {
  const { rows } = await pool.query<UserCounts>(
    `select count(distinct user_id) filter (where coalesce(signed_up_at, first_seen_at) < $3)::int as total,
            count(distinct user_id) filter (where coalesce(signed_up_at, first_seen_at) >= $2 and coalesce(signed_up_at, first_seen_at) < $3)::int as new
     from public.metrics_users where ${appFilter()}`,
    [input.app ?? null, input.from, input.to],
  );
  return rows[0]!;
}

export interface SuccessRate {
  completed: number;
  failed: number;
  /** completed / (completed + failed); null when neither happened. */
  rate: number | null;
}

/** Success rate of the app's core action in [from, to), e.g. enrichment_completed vs enrichment_failed. */
export async function coreActionSuccessRate(
  pool: Pool,
  input: Period & { completed: string; failed: string },
): Promise<SuccessRate> {
  const { rows } = await pool.query<{ completed: number; failed: number }>(
    `select count(*) filter (where name = $4)::int as completed, count(*) filter (where name = $5)::int as failed
     from public.events where ${appFilter()} and name in ($4, $5) and occurred_at >= $2 and occurred_at < $3`,
    [input.app ?? null, input.from, input.to, input.completed, input.failed],
  );
  const r = rows[0]!;
  return { completed: r.completed, failed: r.failed, rate: ratio(r.completed, r.completed + r.failed) };
}

export { addDays, asOfDay, utcDay };
