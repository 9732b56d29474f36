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
  /** Days read from month rows' day bitmaps (`at` = month start, `bits` = days) instead of daily rows. */
  daysFromMonths?: boolean;
  created: string;
}

/**
 * Where activity is read: users' days, weeks and months from @org/metrics' per-user week and month
 * bitmaps (a row per active week or month instead of one per active day; a daily series shifts
 * each month's day bitmap into place), accounts from the daily rollup.
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
  return {
    rollup: 'public.metrics_user_active_months',
    subject: 'user_id',
    at: 'month',
    bits: 'days',
    daysFromMonths: g === 'day',
    created,
  };
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
 * One hash aggregate over the activity rollup gives each subject a bit mask of the intervals it
 * was active in (bit 0: the interval before the first); subjects are then grouped by (mask,
 * interval of creation) and each interval's classes are counted from the bits of those groups.
 * No sort and no window over the subjects' days. Ranges longer than 62 intervals run as several
 * such queries.
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
  // A week/month row of the interval holding the last day counts only for its days up to it.
  const lastPeriod = truncate(chunk.lastDay, g);
  const daysIn = Math.round((chunk.lastDay - lastPeriod) / DAY_MS) + 1;
  const cut = src.bits ? `and (${src.at} <> $4::date or ${src.bits}::bigint & $5::bigint <> 0)` : '';
  // Days from months: a month's day bitmap shifted to the chunk's day indexes (bit 0 = $2), cut
  // to bits 0..n ($4). Shifts stay below 64: months overlap the chunk of at most 63 days.
  const masks = src.daysFromMonths
    ? `select ${src.subject} as s,
         bit_or(case when ${src.at} >= $2::date then ${src.bits}::bigint << (${src.at} - $2::date)
                     else ${src.bits}::bigint >> ($2::date - ${src.at}) end & $4::bigint) as m
       from ${src.rollup}
       where app = $1 and ${src.at} >= date_trunc('month', $2::date)::date and ${src.at} <= $3::date
       group by 1`
    : `select ${src.subject} as s, bit_or(1::bigint << ${index(src.at)}) as m
       from ${src.rollup}
       where app = $1 and ${src.at} >= $2::date and ${src.at} <= $3::date ${cut}
       group by 1`;
  const params = src.daysFromMonths
    ? [String((1n << BigInt(chunk.n + 1)) - 1n)]
    : src.bits
      ? [isoDay(lastPeriod), 2 ** daysIn - 1]
      : [];
  // Subjects grouped by (mask, interval of creation); the mask in two parts JavaScript numbers
  // hold exactly (bits 0..30, bits 31..62).
  const { rows } = await pool.query<{ lo: number; hi: string; c: number | null; n: number }>(
    `with masks as (${masks})
     select (masks.m & 2147483647)::int as lo, masks.m >> 31 as hi,
            ${index(`(c.created_at at time zone 'UTC')::date`)} as c, count(*)::int as n
     from masks left join (${src.created}) c on c.s = masks.s
     group by masks.m, 3`,
    [app, isoDay(chunk.base), isoDay(chunk.lastDay), ...params],
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
