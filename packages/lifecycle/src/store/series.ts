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
  const { rows } = await pool.query<LifecyclePoint>(
    `with periods as (
       select p::date as p from generate_series(date_trunc('${g}', $2::timestamptz at time zone 'UTC'),
                                                ($3::timestamptz - interval '1 millisecond') at time zone 'UTC', ${step}) as p
     ),
     act as (
       select distinct ${src.subject} as s, date_trunc('${g}', day)::date as p from ${src.rollup}
       where app = $1 and day >= (date_trunc('${g}', $2::timestamptz at time zone 'UTC') - ${step})::date
         and day < ($3::timestamptz at time zone 'UTC')::date + 1
         and day <= (($3::timestamptz - interval '1 millisecond') at time zone 'UTC')::date
     ),
     created as (select s, date_trunc('${g}', created_at at time zone 'UTC')::date as p from (${src.created}) c),
     cur as (
       select a.p, coalesce(c.p = a.p, false) as is_new,
              exists (select 1 from act b where b.s = a.s and b.p = (a.p - ${step})::date) as had_prev
       from act a join periods on periods.p = a.p left join created c on c.s = a.s
     ),
     gone as (
       select periods.p, count(*)::int as n from periods
       join act b on b.p = (periods.p - ${step})::date
       where not exists (select 1 from act a where a.s = b.s and a.p = periods.p)
       group by periods.p
     )
     select to_char(periods.p, 'YYYY-MM-DD') as period,
            (select count(*) from cur where cur.p = periods.p and is_new)::int as new,
            (select count(*) from cur where cur.p = periods.p and not is_new and had_prev)::int as returning,
            (select count(*) from cur where cur.p = periods.p and not is_new and not had_prev)::int as resurrecting,
            coalesce(gone.n, 0) as dormant
     from periods left join gone on gone.p = periods.p order by periods.p`,
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
