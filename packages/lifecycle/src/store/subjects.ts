import type { Pool } from 'pg';
import type { Level } from './series.ts';

export interface SubjectMetrics {
  id: string;
  createdAt: Date;
  lastActiveDay: string | null;
  activeDaysIn28: number;
  distinctFeaturesIn28: number;
  activated: boolean;
  paying: boolean;
  everPaid: boolean;
  email: string | null;
}

export interface SubjectQuery {
  app: string;
  level: Level;
  asOf: Date;
  /** Activation: an event name, or any event of a category (default category `feature`). */
  activation?: { event: string } | { category: string };
  featureCategory?: string;
}

/**
 * Everything the stage rules need, per user or account, as of an instant. Billing comes from the
 * ledger: Stripe customers whose metadata carries `user_id` / `account_id`, and their MRR intervals.
 */
export async function loadSubjectMetrics(pool: Pool, q: SubjectQuery): Promise<SubjectMetrics[]> {
  const day = new Date(q.asOf.getTime() - 1).toISOString().slice(0, 10);
  const activation = q.activation ?? { category: 'feature' };
  const user = q.level === 'user';
  const subjects = user
    ? `select user_id as id, coalesce(signed_up_at, first_seen_at) as created_at from public.metrics_users where app = $1 and coalesce(signed_up_at, first_seen_at) < $2`
    : `select account_id as id, min(coalesce(signed_up_at, first_seen_at)) as created_at from public.metrics_users
       where app = $1 and account_id is not null and coalesce(signed_up_at, first_seen_at) < $2 group by account_id`;
  const rollup = user ? 'public.metrics_user_activity_daily' : 'public.metrics_account_activity_daily';
  const col = user ? 'user_id' : 'account_id';
  // As of an instant inside a day, the as-of day ($3) counts up to the instant ($2) only: for a
  // user, when their first event of the day is before it; for an account, from the day's events
  // before it, one range of the (app, name, time) index per event name of the day.
  const insideDay = q.asOf.getTime() % 86_400_000 !== 0;
  const activity = !insideDay
    ? `${rollup} where app = $1 and day <= $3::date`
    : user
      ? `${rollup} where app = $1 and day <= $3::date and (day < $3::date or first_at < $2)`
      : `(select account_id, day from ${rollup} where app = $1 and day < $3::date
          union all
          select distinct x.account_id, $3::date
          from (select distinct category, name from public.metrics_event_counts_daily
                where app = $1 and day = $3::date and category <> 'system') k
          cross join lateral (
            select e.account_id from public.events e
            where e.app = $1 and e.name = k.name and e.occurred_at >= $3::date::timestamp at time zone 'UTC'
              and e.occurred_at < $2 and e.category = k.category and e.account_id is not null
          ) x) a`;
  const metaKey = user ? 'user_id' : 'account_id';
  const { rows } = await pool.query<{
    id: string;
    created_at: Date;
    last_day: string | null;
    days28: number;
    features28: number;
    activated: boolean;
    mrr: string | null;
    ever_paid: boolean | null;
    email: string | null;
  }>(
    `with subj as (${subjects}),
     act as (
       select ${col} as id, to_char(max(day), 'YYYY-MM-DD') as last_day, (count(*) filter (where day > $3::date - 28))::int as days28
       from ${activity} group by ${col}
     ),
     feat as (
       select ${col} as id, count(distinct name)::int as n from public.events
       where app = $1 and category = $4 and occurred_at >= $2::timestamptz - interval '28 days' and occurred_at < $2 and ${col} is not null
       group by ${col}
     ),
     activated as (
       select distinct ${col} as id from public.events
       where app = $1 and ${'event' in activation ? 'name' : 'category'} = $5 and occurred_at < $2 and ${col} is not null
     ),
     billing as (
       select c.metadata ->> '${metaKey}' as id, max(c.email) as email,
              sum(i.mrr) filter (where i.valid_from < $2 and (i.valid_to is null or i.valid_to >= $2)) as mrr,
              bool_or(i.mrr > 0 and i.valid_from < $2) as ever_paid
       from public.stripe_customers c left join public.cohort_mrr_intervals i on i.customer_id = c.id
       where c.metadata ? '${metaKey}' group by 1
     )
     select s.id, s.created_at, a.last_day, coalesce(a.days28, 0) as days28, coalesce(f.n, 0) as features28,
            (ac.id is not null) as activated, b.mrr, b.ever_paid,
            coalesce(${user ? `(select au.email from auth.users au where au.id::text = s.id), ` : ''}b.email) as email
     from subj s
     left join act a on a.id = s.id
     left join feat f on f.id = s.id
     left join activated ac on ac.id = s.id
     left join billing b on b.id = s.id
     order by s.id`,
    [
      q.app,
      q.asOf,
      day,
      q.featureCategory ?? 'feature',
      'event' in activation ? activation.event : activation.category,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    lastActiveDay: r.last_day,
    activeDaysIn28: r.days28,
    distinctFeaturesIn28: r.features28,
    activated: r.activated,
    paying: Number(r.mrr ?? 0) > 0,
    everPaid: r.ever_paid ?? false,
    email: r.email,
  }));
}
