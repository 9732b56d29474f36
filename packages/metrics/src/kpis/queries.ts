import type { Pool } from 'pg';
import { addDays, asOfDay, daysOf, monthMasks, ratio, utcDay } from '../calc/time.ts';
import { MetricsError } from '../errors.ts';
import { type DayPart, isMidnight, partialDayGapRows, partialDayUsers, splitPeriod } from './partial-day.ts';

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

/**
 * SQL: the apps a query reads, `$1` or (when `$1` is null) every app, found by a loose index scan
 * of metrics_users, so per-app indexes stay usable for "all apps".
 */
const APPS_SQL = `with recursive a as (
    (select app from public.metrics_users where $1::text is null order by app limit 1)
    union all
    select (select u.app from public.metrics_users u where u.app > a.app order by u.app limit 1) from a where a.app is not null
  ) select app from a where app is not null
  union all select $1::text where $1::text is not null`;

/** The rollup scope of a query: one app, or `*` (all apps together, a user counted once). */
const scopeOf = (app: string | undefined) => app ?? '*';

/**
 * DAU, WAU (7 days ending on the as-of day) and MAU (30 days) from the gap rollup: a user counts
 * once in a window, on their first active day in it (gap 0 = no earlier day, or a previous active
 * day before the window). An `asOf` inside a day counts that day's activity before it only.
 */
export async function activeUsers(pool: Pool, input: AsOf): Promise<ActiveUsers> {
  const day = asOfDay(input.asOf);
  if (!isMidnight(input.asOf)) return activeUsersInsideDay(pool, input, day);
  const { rows } = await pool.query<{ dau: number; wau: number; mau: number }>(
    `select coalesce(sum(users) filter (where day = $2::date), 0)::int as dau,
            coalesce(sum(users) filter (where day > $2::date - 7 and (gap = 0 or gap > day - ($2::date - 6))), 0)::int as wau,
            coalesce(sum(users) filter (where gap = 0 or gap > day - ($2::date - 29)), 0)::int as mau
     from public.metrics_active_gaps
     where app = $1 and day > $2::date - 30 and day <= $2::date`,
    [scopeOf(input.app), day],
  );
  const r = rows[0]!;
  return { day, dau: r.dau, wau: r.wau, mau: r.mau };
}

/**
 * SQL: the gap rows of the 30 days ending on `$2` as of the instant `$3` inside it: the rollup up
 * to the day before, and the as-of day's users active before `$3` (`partialDayGapRows`).
 */
const gapsAsOfInsideDay = (app: string | undefined, firstDay: string, day = '$2', instant = '$3') =>
  `select day, gap, users from public.metrics_active_gaps where app = $1 and day >= ${firstDay} and day < ${day}::date
   union all ${partialDayGapRows(app === undefined, '$1', day, instant)}`;

/** `activeUsers` as of an instant inside its day: the same sums over `gapsAsOfInsideDay`. */
async function activeUsersInsideDay(pool: Pool, input: AsOf, day: string): Promise<ActiveUsers> {
  const { rows } = await pool.query<{ dau: number; wau: number; mau: number }>(
    `select coalesce(sum(users) filter (where day = $2::date), 0)::int as dau,
            coalesce(sum(users) filter (where day > $2::date - 7 and (gap = 0 or gap > day - ($2::date - 6))), 0)::int as wau,
            coalesce(sum(users) filter (where gap = 0 or gap > day - ($2::date - 29)), 0)::int as mau
     from (${gapsAsOfInsideDay(input.app, '$2::date - 29')}) g`,
    [scopeOf(input.app), day, input.asOf],
  );
  const r = rows[0]!;
  return { day, dau: r.dau, wau: r.wau, mau: r.mau };
}

/**
 * DAU/WAU/MAU for every UTC day of [from, to), from the gap rollup in one pass over at most
 * (days + 29) x (distinct gaps) rows. An active user-day d with gap g counts in the WAU of the
 * days [d + max(0, 7 - g), d + 7) (g = 0: from d): the days whose 7-day window starts after the
 * previous active day. So each gap row adds +users at that start and -users at d + 7 (likewise
 * with 30 for MAU), and the series is a running sum. Each day is as of its end, the last one as of
 * `to` (inside a day: that day's activity before `to` only).
 */
export async function activeUsersSeries(pool: Pool, input: Period): Promise<ActiveUsers[]> {
  const { first, last } = daysOf(input.from, input.to);
  if (last < first) return [];
  // As of an instant inside the last day, that day's gap rows are its users active before it.
  const insideDay = !isMidnight(input.to);
  const g = insideDay
    ? gapsAsOfInsideDay(input.app, '$2::date - 29', '$3', '$4')
    : `select day, gap, users from public.metrics_active_gaps
       where app = $1 and day >= $2::date - 29 and day <= $3::date`;
  const { rows } = await pool.query<{ day: string; dau: number; wau: number; mau: number }>(
    `with g as (
       ${g}
     ),
     marks as (
       select day as d, users as dau, 0 as w, 0 as m from g
       union all select day + case when gap between 1 and 6 then 7 - gap else 0 end, 0, users, 0 from g
       union all select day + 7, 0, -users, 0 from g
       union all select day + case when gap between 1 and 29 then 30 - gap else 0 end, 0, 0, users from g
       union all select day + 30, 0, 0, -users from g
     ),
     per_day as (select d, sum(dau) as dau, sum(w) as w, sum(m) as m from marks where d <= $3::date group by d),
     running as (
       select s.day, coalesce(p.dau, 0) as dau, sum(coalesce(p.w, 0)) over o as wau, sum(coalesce(p.m, 0)) over o as mau
       from (select g::date as day from generate_series($2::date - 29, $3::date, interval '1 day') g) s
       left join per_day p on p.d = s.day
       window o as (order by s.day)
     )
     select to_char(day, 'YYYY-MM-DD') as day, dau::int, wau::int, mau::int from running where day >= $2::date order by day`,
    insideDay ? [scopeOf(input.app), first, last, input.to] : [scopeOf(input.app), first, last],
  );
  return rows;
}

/** SQL: per user of the scope, active days in the range given by `monthMasks` (users with none left out). */
const activeDaysPerUser = (scope: string, months: string, masks: string) =>
  `select user_id, active_days from public.metrics_active_days_by_user(${scope}, ${months}::date[], ${masks}::int[])`;

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
  /**
   * PostHog-style: users active in the 30 days, bucketed by the number of days they were active
   * (empty when asked for with `distribution: false`).
   */
  daysActiveDistribution: { days: number; users: number }[];
}

/**
 * Stickiness as of a day. The user-days of the 30 days (every active user-day is one user in the
 * gap rollup) give the average DAU; the days-active distribution needs each user's active days and
 * is left empty with `distribution: false` (the figures above do not need it). An `asOf` inside
 * a day counts that day's activity before it only.
 */
export async function stickiness(pool: Pool, input: AsOf & { distribution?: boolean }): Promise<Stickiness> {
  const day = asOfDay(input.asOf);
  const insideDay = !isMidnight(input.asOf);
  // Inside the as-of day: the month bitmaps up to the day before, plus one day for each user
  // active on the as-of day before the instant.
  const month30 = monthMasks(addDays(day, -29), insideDay ? addDays(day, -1) : day);
  const [au, userDays, distribution] = await Promise.all([
    activeUsers(pool, input),
    insideDay
      ? pool.query<{ n: number }>(
          `select coalesce(sum(users), 0)::int as n from (${gapsAsOfInsideDay(input.app, '$2::date - 29')}) g`,
          [scopeOf(input.app), day, input.asOf],
        )
      : pool.query<{ n: number }>(
          `select coalesce(sum(users), 0)::int as n from public.metrics_active_gaps
       where app = $1 and day > $2::date - 30 and day <= $2::date`,
          [scopeOf(input.app), day],
        ),
    input.distribution === false
      ? undefined
      : insideDay
        ? pool.query<{ days: number; users: number }>(
            `select active_days as days, count(*)::int as users from (
               select coalesce(w.active_days, 0) + (t.user_id is not null)::int as active_days
               from (${activeDaysPerUser('$1', '$2', '$3')}) w
               full join (${partialDayUsers(input.app === undefined, '$1', '$4', '$5')}) t using (user_id)
             ) per_user group by active_days order by active_days`,
            [scopeOf(input.app), month30.months, month30.masks, day, input.asOf],
          )
        : pool.query<{ days: number; users: number }>(
            `select active_days as days, count(*)::int as users
           from (${activeDaysPerUser('$1', '$2', '$3')}) per_user group by active_days order by active_days`,
            [scopeOf(input.app), month30.months, month30.masks],
          ),
  ]);
  const totalUserDays = userDays.rows[0]!.n;
  const averageDau30 = Math.round((totalUserDays / 30) * 100) / 100;
  return {
    day,
    dau: au.dau,
    wau: au.wau,
    mau: au.mau,
    averageDau30,
    dauOverMau: au.mau === 0 ? null : ratio(totalUserDays / 30, au.mau),
    dauOverWau: ratio(au.dau, au.wau),
    daysActiveDistribution: distribution?.rows ?? [],
  };
}

export interface ActivationOptions extends Period {
  /** The activation event: a name, or any event of a category (default: category `feature`). */
  activation?: { event: string } | { category: string };
  windowDays?: number;
  /** Events at or after this instant are ignored, signups too (default: `to`). */
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
  const asOf = input.asOf ?? input.to;
  // No user who signs up at or after the as-of instant: signups in [from, min(to, asOf)).
  const signedUpBefore = new Date(Math.min(asOf.getTime(), input.to.getTime()));
  // The user's first activation event: when it is at or after signup, it decides alone; an index
  // probe only for users who did it before signing up.
  const { rows } = await pool.query<{ signed_up: number; activated: number }>(
    `select count(*)::int as signed_up,
            count(*) filter (where case
              when f.first_at is null then false
              when f.first_at >= u.signed_up_at then f.first_at < least(u.signed_up_at + make_interval(days => $5), $6)
              else exists (
                select 1 from public.events e
                where e.app = u.app and e.user_id = u.user_id and ${byName ? 'e.name' : 'e.category'} = $4
                  and e.occurred_at >= u.signed_up_at and e.occurred_at < least(u.signed_up_at + make_interval(days => $5), $6))
              end)::int as activated
     from public.metrics_users u
     left join public.metrics_user_first_events f on f.app = u.app and f.user_id = u.user_id and f.event = $7
     where ${appFilter('u.app')} and u.signed_up_at >= $2 and u.signed_up_at < $3`,
    [
      input.app ?? null,
      input.from,
      signedUpBefore,
      byName ? activation.event : activation.category,
      windowDays,
      asOf,
      byName ? activation.event : `category:${activation.category}`,
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
  /**
   * Steps at or after this instant are ignored, the first one too (default: no bound beyond `to`
   * and the window).
   */
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
  // No user enters at or after the as-of instant: step 1 in [from, min(to, asOf)).
  const enteredBefore = input.asOf !== undefined && input.asOf < input.to ? input.asOf : input.to;
  const params: unknown[] = [input.app ?? null, input.from, enteredBefore, windowDays, input.asOf ?? null];
  params.push(...steps);
  const stepParam = (k: number) => `$${5 + k}`;
  // Steps 2..n: the column holding the user's first-ever event of the step
  // (metrics_user_first_events), and the step's name parameter.
  const later = steps.slice(1).map((_, j) => ({ column: `f${j + 2}`, param: stepParam(j + 2) }));
  const carried = (alias: string) => later.map((l) => `${alias}.${l.column}`).join(', ');
  const ctes: string[] = [
    `apps as materialized (${APPS_SQL})`,
    // Index-only over (app, name, occurred_at) including user_id, for each app read.
    `entered as (
      select user_id, min(occurred_at) as t1 from public.events
      where app in (select app from apps) and name = ${stepParam(1)} and user_id is not null and occurred_at >= $2 and occurred_at < $3
      group by user_id)`,
    // Every later step's first-ever event: by name, one index range each, joined by hash for a
    // large period or probed per user for a small one.
    `s1 as (
      select e.user_id, e.t1, e.t1 as t, ${later.map((l) => `${l.column}.first_at as ${l.column}`).join(', ')}
      from entered e
      ${later
        .map(
          (l) =>
            `left join public.metrics_user_first_events ${l.column}
               on ${l.column}.app = coalesce($1, '*') and ${l.column}.user_id = e.user_id and ${l.column}.event = ${l.param}`,
        )
        .join('\n      ')})`,
  ];
  for (let k = 2; k <= steps.length; k++) {
    // The first step-k event after the previous step: the user's first step-k event when that is
    // later, else one index probe per user and partition (events_user_name_time: user_id, name,
    // occurred_at, app included). offset 0 keeps the case evaluated once per user: inlined, the
    // filter below would run its probe a second time.
    const f = `s.f${k}`;
    ctes.push(`s${k} as (
      select s.user_id, s.t1, ${carried('s')}, x.t, extract(epoch from x.t - s.t)::float8 as dt
      from s${k - 1} s
      cross join lateral (
        select case
          when ${f} is null then null
          when ${f} > s.t then
            case when ${f} < s.t1 + make_interval(days => $4) and ($5::timestamptz is null or ${f} < $5) then ${f} end
          else (
            select min(e.occurred_at) from public.events e
            where e.user_id = s.user_id and e.name = ${stepParam(k)} and ${appFilter('e.app')}
              and e.occurred_at > s.t and e.occurred_at < s.t1 + make_interval(days => $4)
              -- implied by the two bounds above; constant, so partitions are pruned
              and e.occurred_at >= $2 and e.occurred_at < $3::timestamptz + make_interval(days => $4)
              and ($5::timestamptz is null or e.occurred_at < $5))
          end as t
        offset 0
      ) x
      where x.t is not null)`);
  }
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

/**
 * Most active users of [from, to) by active days, then events, then user id. Active days come from
 * the month bitmaps for every user (`metrics_active_days_by_user`); events and the last active day
 * are read from the daily rollup only for the candidates, the users with at least as many active
 * days as the `limit`-th.
 * Across apps (no `app`), a user's day counts once, events add up over apps and the account is
 * the greatest over the user's apps. Either end inside a day counts that day's events on the
 * period's side of it only (`topUsersOfDayParts`).
 */
export async function topUsers(pool: Pool, input: Period & { limit?: number }): Promise<TopUser[]> {
  const { first, last } = daysOf(input.from, input.to);
  const limit = input.limit ?? 10;
  if (last < first || limit < 1) return [];
  if (!isMidnight(input.from) || !isMidnight(input.to)) return topUsersOfDayParts(pool, input, limit);
  const { months, masks } = monthMasks(first, last);
  const { rows } = await pool.query<{
    user_id: string;
    account_id: string | null;
    active_days: number;
    events: number;
    last_day: string;
  }>(
    `with apps as materialized (${APPS_SQL}),
     ranked as materialized (${activeDaysPerUser(`coalesce($1, '*')`, '$5', '$6')}),
     th as (select active_days from ranked order by active_days desc offset $4 - 1 limit 1),
     cand as (select user_id, active_days from ranked where active_days >= coalesce((select active_days from th), 1))
     select c.user_id, c.active_days, e.events, to_char(e.last_day, 'YYYY-MM-DD') as last_day, e.account_id
     from cand c
     cross join lateral (
       select sum(d.events)::int as events, max(d.day) as last_day,
              (select max(u.account_id) from public.metrics_users u where u.app in (select app from apps) and u.user_id = c.user_id) as account_id
       from public.metrics_user_activity_daily d
       where d.app in (select app from apps) and d.user_id = c.user_id and d.day >= $2::date and d.day <= $3::date
     ) e
     order by c.active_days desc, e.events desc, c.user_id
     limit $4`,
    [input.app ?? null, first, last, limit, months, masks],
  );
  return rows.map((r) => ({
    userId: r.user_id,
    accountId: r.account_id,
    activeDays: r.active_days,
    events: r.events,
    lastActiveDay: r.last_day,
  }));
}

/**
 * `topUsers` of a period starting or ending inside a day: the whole days from the rollups as
 * above, and each part of a day (at most two) from the daily rollup's rows of that day. A user is
 * active in the part [lo, hi) when their first event of the day is before `hi` (a part ending
 * the period) or their last one is at or after `lo` (a part starting it); a part inside one day
 * needs an event between the two, one probe of the user's time index when the day's first and
 * last events straddle it. A part's events are the day's count when the whole day is inside it,
 * else counted by the user's time index. Each part's bounds are parameters of their own, so every
 * read of `events` is planned for the one partition it needs.
 */
async function topUsersOfDayParts(pool: Pool, input: Period, limit: number): Promise<TopUser[]> {
  const { whole, parts } = splitPeriod(input.from, input.to);
  const { months, masks } = whole ? monthMasks(whole.first, whole.last) : { months: [], masks: [] };
  const params: unknown[] = [
    input.app ?? null,
    whole?.first ?? null,
    whole?.last ?? null,
    limit,
    months,
    masks,
  ];
  const param = (v: unknown) => `$${params.push(v)}`;
  const apps = 'any(array(select app from apps))';
  const sql = parts.map((part) => {
    const day = `${param(part.day)}::date`;
    const lo = `${param(part.lo)}::timestamptz`;
    const hi = `${param(part.hi)}::timestamptz`;
    const inPart = `public.events e where e.user_id = d.user_id and e.app = d.app
                    and e.occurred_at >= ${lo} and e.occurred_at < ${hi} and e.category <> 'system'`;
    const active = isMidnight(part.lo)
      ? `d.first_at < ${hi}`
      : isMidnight(part.hi)
        ? `d.last_at >= ${lo}`
        : `((d.first_at >= ${lo} and d.first_at < ${hi}) or (d.last_at >= ${lo} and d.last_at < ${hi})
            or (d.first_at < ${lo} and d.last_at >= ${hi} and (select 1 from ${inPart} limit 1) is not null))`;
    return {
      active: `select distinct d.user_id, ${day} as day from public.metrics_user_activity_daily d
               where d.app = ${apps} and d.day = ${day} and ${active}`,
      events: `select d.day, case when d.first_at >= ${lo} and d.last_at < ${hi} then d.events
                                  else (select count(*)::int from ${inPart}) end
               from public.metrics_user_activity_daily d
               where d.app = ${apps} and d.user_id = c.user_id and d.day = ${day}`,
    };
  });
  const { rows } = await pool.query<{
    user_id: string;
    account_id: string | null;
    active_days: number;
    events: number;
    last_day: string;
  }>(
    `with apps as materialized (${APPS_SQL}),
     part_active as materialized (${sql.map((p) => p.active).join('\n       union all ')}),
     ranked as materialized (
       select user_id, sum(n)::int as active_days from (
         select user_id, active_days as n from (${activeDaysPerUser(`coalesce($1, '*')`, '$5', '$6')}) w
         union all select user_id, 1 from part_active
       ) x group by user_id
     ),
     th as (select active_days from ranked order by active_days desc offset $4 - 1 limit 1),
     cand as (select user_id, active_days from ranked where active_days >= coalesce((select active_days from th), 1))
     select c.user_id, c.active_days, e.events, to_char(e.last_day, 'YYYY-MM-DD') as last_day, e.account_id
     from cand c
     cross join lateral (
       select sum(x.events)::int as events, max(x.day) as last_day,
              (select max(u.account_id) from public.metrics_users u where u.app = ${apps} and u.user_id = c.user_id) as account_id
       from (
         select d.day, d.events from public.metrics_user_activity_daily d
         where d.app = ${apps} and d.user_id = c.user_id and d.day >= $2::date and d.day <= $3::date
         union all ${sql.map((p) => p.events).join('\n         union all ')}
       ) x
       where x.events > 0
     ) e
     order by c.active_days desc, e.events desc, c.user_id
     limit $4`,
    params,
  );
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

const DAY_MS = 86_400_000;
/** Both bounds at UTC midnight: the range is whole days and the daily rollups answer it. */
const wholeDays = (from: Date, to: Date) =>
  from.getTime() % DAY_MS === 0 && to.getTime() % DAY_MS === 0 && to.getTime() > from.getTime();

/**
 * Events and distinct users (subjects: the user, else the anonymous id) per event name of a
 * category (default `feature`) in [from, to). Whole-day ranges read the daily event counts and
 * the feature gap rollup (a subject counts on its first day with the name in the range); a start
 * or end inside a day adds the events of those parts of days, read by index.
 */
export async function featureUsage(
  pool: Pool,
  input: Period & { category?: string },
): Promise<FeatureUsage[]> {
  const category = input.category ?? 'feature';
  if (wholeDays(input.from, input.to)) {
    const { first, last } = daysOf(input.from, input.to);
    const { rows } = await pool.query<FeatureUsage>(
      `with c as (
         select name, sum(events) as events from public.metrics_event_counts_daily
         where ($1::text is null or app = $1) and category = $4 and day >= $2::date and day <= $3::date
         group by name
       ),
       u as (
         select name, sum(subjects) filter (where gap = 0 or gap > day - $2::date) as users
         from public.metrics_feature_gaps
         where app = coalesce($1, '*') and category = $4 and day >= $2::date and day <= $3::date
         group by name
       )
       select c.name, c.events::int as events, coalesce(u.users, 0)::int as users
       from c left join u using (name) where c.events > 0
       order by events desc, name`,
      [input.app ?? null, first, last, category],
    );
    return rows;
  }
  // A start or end inside a day: the whole days between from the rollups as above, the parts of
  // days from their events. A subject of a part counts when it has no event of the name in the
  // whole days (one probe of the user's, or the anonymous id's, name and time index).
  const { whole, parts } = splitPeriod(input.from, input.to);
  if (parts.length === 0) return [];
  const params: unknown[] = [
    input.app ?? null,
    whole?.first ?? null,
    whole?.last ?? null,
    category,
    whole ? new Date(`${whole.first}T00:00:00Z`) : null,
    whole ? new Date(Date.parse(`${whole.last}T00:00:00Z`) + DAY_MS) : null,
  ];
  const inWhole = (subject: string) =>
    `(select 1 from public.events e
       where ${subject} and e.name = s.name and e.category = $4 and e.app = any(array(select app from apps))
         and e.occurred_at >= $5 and e.occurred_at < $6 limit 1) is null`;
  const { rows } = await pool.query<FeatureUsage>(
    `with apps as materialized (${APPS_SQL}),
     part_events as materialized (${partEvents(parts, params, '$4')}),
     c as (
       select name, sum(n) as events from (
         select name, events as n from public.metrics_event_counts_daily
         where ($1::text is null or app = $1) and category = $4 and day >= $2::date and day <= $3::date
         union all
         select name, count(*) from part_events group by name
       ) x group by name
     ),
     u as (
       select name, sum(n) as users from (
         select name, sum(subjects) filter (where gap = 0 or gap > day - $2::date) as n
         from public.metrics_feature_gaps
         where app = coalesce($1, '*') and category = $4 and day >= $2::date and day <= $3::date
         group by name
         union all
         select s.name, count(*) from (select distinct name, user_id, anonymous_id from part_events) s
         where case when s.user_id is not null then ${inWhole('e.user_id = s.user_id')}
                    else ${inWhole('e.user_id is null and e.anonymous_id = s.anonymous_id')} end
         group by s.name
       ) y group by name
     )
     select c.name, c.events::int as events, coalesce(u.users, 0)::int as users
     from c left join u using (name) where c.events > 0
     order by events desc, name`,
    params,
  );
  return rows;
}

/**
 * SQL: the events of a category (`category`) in parts of days, for the apps of the `apps` CTE, as
 * (name, user_id, anonymous_id: null for a user's event, so each subject is one pair): for each
 * part, the names its day has in the daily counts, and one range of the (app, name, time) index
 * per name. Each part's bounds are parameters of their own (appended to `params`), so each read
 * is planned for the one partition it needs.
 */
function partEvents(parts: DayPart[], params: unknown[], category: string): string {
  const param = (v: unknown) => `$${params.push(v)}`;
  return parts
    .map((part) => {
      const lo = `${param(part.lo)}::timestamptz`;
      const hi = `${param(part.hi)}::timestamptz`;
      return `select e.name, e.user_id, case when e.user_id is null then e.anonymous_id end as anonymous_id
       from (select distinct k.app, k.name from public.metrics_event_counts_daily k
             where k.app = any(array(select app from apps)) and k.day = ${param(part.day)}::date and k.category = ${category}) k
       cross join lateral (
         select e.name, e.user_id, e.anonymous_id from public.events e
         where e.app = k.app and e.name = k.name and e.occurred_at >= ${lo} and e.occurred_at < ${hi} and e.category = ${category}
       ) e`;
    })
    .join('\n       union all ');
}

export interface UserCounts {
  /** Users whose cohort instant (first signup, else first event) is before `to`. */
  total: number;
  /** Users whose cohort instant is in [from, to). */
  new: number;
}

export async function userCounts(pool: Pool, input: Period): Promise<UserCounts> {
  // Per app a user has one row; across apps a user counts once (in "new" when any of their apps'
  // cohort instants falls in the period).
  const { rows } = await pool.query<UserCounts>(
    input.app === undefined
      ? `select count(*) filter (where t)::int as total, count(*) filter (where n)::int as new from (
           select bool_or(c < $3) as t, bool_or(c >= $2 and c < $3) as n
           from (select user_id, coalesce(signed_up_at, first_seen_at) as c from public.metrics_users where $1::text is null) u
           group by user_id
         ) s`
      : `select count(*) filter (where c < $3)::int as total, count(*) filter (where c >= $2 and c < $3)::int as new
         from (select coalesce(signed_up_at, first_seen_at) as c from public.metrics_users where app = $1) u`,
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
  const { rows } = wholeDays(input.from, input.to)
    ? await pool.query<{ completed: number; failed: number }>(
        `select coalesce(sum(events) filter (where name = $4), 0)::int as completed,
                coalesce(sum(events) filter (where name = $5), 0)::int as failed
         from public.metrics_event_counts_daily
         where ${appFilter()} and name in ($4, $5) and day >= $2::date and day < $3::date`,
        [input.app ?? null, utcDay(input.from), utcDay(input.to), input.completed, input.failed],
      )
    : await successCountsOfDayParts(pool, input);
  const r = rows[0]!;
  return { completed: r.completed, failed: r.failed, rate: ratio(r.completed, r.completed + r.failed) };
}

/**
 * `coreActionSuccessRate` of a period starting or ending inside a day: the whole days between from
 * the daily counts, the parts of days from their events (ranges of the (app, name, time) index,
 * each part's bounds parameters of their own).
 */
async function successCountsOfDayParts(pool: Pool, input: Period & { completed: string; failed: string }) {
  const { whole, parts } = splitPeriod(input.from, input.to);
  const params: unknown[] = [
    input.app ?? null,
    whole?.first ?? null,
    whole?.last ?? null,
    input.completed,
    input.failed,
  ];
  const param = (v: unknown) => `$${params.push(v)}`;
  const partRows = parts.map(
    (part) => `
       union all
       select e.name, 1 from public.events e
       where e.app = any(array(select app from apps)) and e.name in ($4, $5)
         and e.occurred_at >= ${param(part.lo)}::timestamptz and e.occurred_at < ${param(part.hi)}::timestamptz`,
  );
  return pool.query<{ completed: number; failed: number }>(
    `with apps as materialized (${APPS_SQL}),
     n as (
       select name, events from public.metrics_event_counts_daily
       where ${appFilter()} and name in ($4, $5) and day >= $2::date and day <= $3::date${partRows.join('')}
     )
     select coalesce(sum(events) filter (where name = $4), 0)::int as completed,
            coalesce(sum(events) filter (where name = $5), 0)::int as failed
     from n`,
    params,
  );
}

export { addDays, asOfDay, utcDay };
