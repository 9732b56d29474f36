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

interface Source {
  /** Activity rows: one per subject and day (`day`), or per user and week/month with a day bitmap. */
  rollup: string;
  subject: string;
  /** The column holding the row's day, week start or month start. */
  at: string;
  /** The day bitmap of a week/month row (bit i = the period's day i + 1); absent for daily rows. */
  bits?: string;
  created: string;
}

/**
 * Where activity is read: users' weeks and months from @org/metrics' per-user week and month
 * bitmaps (a row per active week or month instead of one per active day), everything else from the
 * daily rollups.
 */
function source(level: Level, g: Interval): Source {
  if (level === 'account')
    return {
      rollup: 'public.metrics_account_activity_daily',
      subject: 'account_id',
      at: 'day',
      created: `select account_id as s, min(coalesce(signed_up_at, first_seen_at)) as created_at from public.metrics_users where app = $1 and account_id is not null group by account_id`,
    };
  const created = `select user_id as s, coalesce(signed_up_at, first_seen_at) as created_at from public.metrics_users where app = $1`;
  if (g === 'week')
    return {
      rollup: 'public.metrics_user_active_weeks',
      subject: 'user_id',
      at: 'week',
      bits: 'days',
      created,
    };
  if (g === 'month')
    return {
      rollup: 'public.metrics_user_active_months',
      subject: 'user_id',
      at: 'month',
      bits: 'days',
      created,
    };
  return { rollup: 'public.metrics_user_activity_daily', subject: 'user_id', at: 'day', created };
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

/**
 * PostHog lifecycle per interval of [from, to): new (created and active in the interval),
 * returning (active in this and the previous interval), resurrecting (active now, not in the
 * previous interval, not new), dormant (active in the previous interval, not now).
 *
 * One hash aggregate over the daily rollup gives each subject a bit mask of the intervals it was
 * active in (bit 0: the interval before the first); subjects are then grouped by (mask, interval
 * of creation), which leaves a few hundred groups at most, and each interval's classes are counted
 * from the bits over those groups. No sort and no window over the subjects' days. Ranges longer
 * than 62 intervals run as several such queries.
 */
export async function lifecycleSeries(
  pool: Pool,
  input: { interval: Interval; from: Date; to: Date; app: string; level?: Level },
): Promise<LifecyclePoint[]> {
  const g = input.interval;
  if (!['day', 'week', 'month'].includes(g))
    throw new LifecycleError('invalid_query', `interval must be day, week or month, got ${g}`);
  const src = source(input.level ?? 'user', g);
  const lastInstant = input.to.getTime() - 1;
  const first = truncate(input.from.getTime(), g);
  const lastPeriod = truncate(lastInstant, g);
  if (!(first <= lastPeriod)) return [];
  const lastDay = Math.floor(lastInstant / DAY_MS) * DAY_MS;
  const chunks: { base: number; n: number; lastDay: number }[] = [];
  for (let p = first; p <= lastPeriod; p = shiftPeriods(p, g, CHUNK)) {
    let n = 0;
    while (n < CHUNK && shiftPeriods(p, g, n) <= lastPeriod) n++;
    chunks.push({
      base: shiftPeriods(p, g, -1),
      n,
      lastDay: Math.min(lastDay, shiftPeriods(p, g, n) - DAY_MS),
    });
  }
  const parts = await Promise.all(chunks.map((c) => seriesChunk(pool, g, src, input.app, c)));
  return parts.flat();
}

async function seriesChunk(
  pool: Pool,
  g: Interval,
  src: Source,
  app: string,
  chunk: { base: number; n: number; lastDay: number },
): Promise<LifecyclePoint[]> {
  // Interval index of a date relative to the base interval ($2, its first day).
  const index = (d: string) =>
    g === 'day'
      ? `(${d} - $2::date)`
      : g === 'week'
        ? `((date_trunc('week', ${d}::timestamp)::date - $2::date) / 7)`
        : `((extract(year from ${d})::int * 12 + extract(month from ${d})::int) - (extract(year from $2::date)::int * 12 + extract(month from $2::date)::int))`;
  const label =
    g === 'day'
      ? `$2::date + k`
      : g === 'week'
        ? `$2::date + 7 * k`
        : `($2::date + make_interval(months => k))::date`;
  // A week/month row of the interval holding the last day counts only for its days up to it.
  const lastPeriod = truncate(chunk.lastDay, g);
  const daysIn = Math.round((chunk.lastDay - lastPeriod) / DAY_MS) + 1;
  const cut = src.bits ? `and (${src.at} <> $5::date or ${src.bits}::bigint & $6::bigint <> 0)` : '';
  const { rows } = await pool.query<LifecyclePoint>(
    `with masks as (
       select ${src.subject} as s, bit_or(1::bigint << ${index(src.at)}) as m
       from ${src.rollup}
       where app = $1 and ${src.at} >= $2::date and ${src.at} <= $3::date ${cut}
       group by 1
     ),
     groups as (
       select masks.m, ${index(`(c.created_at at time zone 'UTC')::date`)} as c, count(*) as n
       from masks left join (${src.created}) c on c.s = masks.s
       group by 1, 2
     ),
     counts as (
       select k,
              sum(n) filter (where (m >> k) & 1 = 1 and c = k) as new,
              sum(n) filter (where (m >> k) & 1 = 1 and c is distinct from k and (m >> (k - 1)) & 1 = 1) as "returning",
              sum(n) filter (where (m >> k) & 1 = 1 and c is distinct from k and (m >> (k - 1)) & 1 = 0) as resurrecting,
              sum(n) filter (where (m >> k) & 1 = 0 and (m >> (k - 1)) & 1 = 1) as dormant
       from groups cross join generate_series(1, $4::int) as k
       group by k
     )
     select to_char(${label}, 'YYYY-MM-DD') as period,
            coalesce(new, 0)::int as new, coalesce("returning", 0)::int as "returning",
            coalesce(resurrecting, 0)::int as resurrecting, coalesce(dormant, 0)::int as dormant
     from generate_series(1, $4::int) as k left join counts using (k)
     order by k`,
    [
      app,
      isoDay(chunk.base),
      isoDay(chunk.lastDay),
      chunk.n,
      ...(src.bits ? [isoDay(lastPeriod), 2 ** daysIn - 1] : []),
    ],
  );
  return rows;
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
