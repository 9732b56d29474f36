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

const source = (level: Level) =>
  level === 'user'
    ? {
        rollup: 'public.metrics_user_activity_daily',
        subject: 'user_id',
        created: `select user_id as s, coalesce(signed_up_at, first_seen_at) as created_at from public.metrics_users where app = $1`,
      }
    : {
        rollup: 'public.metrics_account_activity_daily',
        subject: 'account_id',
        created: `select account_id as s, min(coalesce(signed_up_at, first_seen_at)) as created_at from public.metrics_users where app = $1 and account_id is not null group by account_id`,
      };

/**
 * PostHog lifecycle per interval of [from, to): new (created and active in the interval),
 * returning (active in this and the previous interval), resurrecting (active now, not in the
 * previous interval, created before), dormant (active in the previous interval, not now).
 */
export async function lifecycleSeries(
  pool: Pool,
  input: { interval: Interval; from: Date; to: Date; app: string; level?: Level },
): Promise<LifecyclePoint[]> {
  const g = input.interval;
  if (!['day', 'week', 'month'].includes(g))
    throw new LifecycleError('invalid_query', `interval must be day, week or month, got ${g}`);
  const src = source(input.level ?? 'user');
  const step = `interval '1 ${g}'`;
  // Interval arithmetic on dates (integer days where the interval has a fixed length).
  const periodOf = (day: string) => (g === 'day' ? day : `date_trunc('${g}', ${day}::timestamp)::date`);
  const shift = (p: string, sign: '+' | '-') =>
    g === 'day' ? `(${p} ${sign} 1)` : g === 'week' ? `(${p} ${sign} 7)` : `(${p} ${sign} ${step})::date`;
  // One ordered pass over the rollup: lag()/lead() tell whether the subject was active in the
  // interval before / after, so no self-join; one hash aggregate with two grouping sets gives the
  // per-interval classes (by interval) and the dormant counts (by the interval after).
  const { rows } = await pool.query<LifecyclePoint>(
    `with periods as (
       select p::date as p from generate_series(date_trunc('${g}', $2::timestamptz at time zone 'UTC'),
                                                ($3::timestamptz - interval '1 millisecond') at time zone 'UTC', ${step}) as p
     ),
     -- The rollup's primary key (app, subject, day) gives each subject's days in order; the interval
     -- of a day is monotonic in the day, so the first day of each (subject, interval) is where lag()
     -- changes, and lag()/lead() over those rows are the previous / next active interval.
     seq as (
       select s, p, prev_p, lead(p) over (partition by s order by day) as next_p from (
         select s, day, p, lag(p) over (partition by s order by day) as prev_p from (
           select ${src.subject} as s, day, ${periodOf('day')} as p from ${src.rollup}
           where app = $1 and day >= (date_trunc('${g}', $2::timestamptz at time zone 'UTC') - ${step})::date
             and day < ($3::timestamptz at time zone 'UTC')::date + 1
             and day <= (($3::timestamptz - interval '1 millisecond') at time zone 'UTC')::date
         ) d
       ) r where prev_p is distinct from p
     ),
     created as (select s, date_trunc('${g}', created_at at time zone 'UTC')::date as p from (${src.created}) c),
     flags as (
       select q.p, c.p = q.p as is_new, q.prev_p = ${shift('q.p', '-')} as had_prev,
              case when q.next_p is distinct from ${shift('q.p', '+')} then ${shift('q.p', '+')} end as gone_p
       from seq q left join created c on c.s = q.s
     ),
     agg as (
       select grouping(gone_p) = 0 as by_gone, coalesce(p, gone_p) as p,
              count(*) filter (where is_new)::int as new,
              count(*) filter (where is_new is not true and had_prev)::int as returning,
              count(*) filter (where is_new is not true and had_prev is not true)::int as resurrecting,
              count(*)::int as n
       from flags group by grouping sets ((p), (gone_p))
     )
     select to_char(periods.p, 'YYYY-MM-DD') as period,
            coalesce(cur.new, 0) as new, coalesce(cur.returning, 0) as returning,
            coalesce(cur.resurrecting, 0) as resurrecting, coalesce(gone.n, 0) as dormant
     from periods
     left join agg cur on cur.p = periods.p and not cur.by_gone
     left join agg gone on gone.p = periods.p and gone.by_gone
     order by periods.p`,
    [input.app, input.from, input.to],
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
