-- Feature usage (@org/metrics featureUsage, coreActionSuccessRate) at scale: events per name and
-- day, and distinct subjects per name over any range of days from a gap rollup, as for active
-- users (20261122040000): a subject counts once over [F, T], on its first day with the event in it.
--
-- A subject is the user, else `anon:<anonymous id>`; scopes are the app and '*' (all apps).
-- `metrics_feature_subjects` keeps each subject's first and last day per scope and event name:
-- events arriving in time order (the normal case: days on or after the last one) extend it, and
-- their gaps follow from it alone. Events of a day before a subject's last day (late or replayed
-- batches) recompute that subject's contribution for the name from the events themselves.
-- Deleting events does not update these rollups (as for the activity rollups).
--
-- `metrics_user_first_events`: per scope and user, the first event of each name and of each
-- category. The first event of a name after an instant t is that first event whenever it is after
-- t, so funnel steps and activation need an index probe only for users who did the event before
-- (e.g. before signing up). And the name index of `events` covers user_id, so a funnel's first
-- step is an index-only scan.

create table public.metrics_event_counts_daily (
  app text not null,
  day date not null,
  category text not null,
  name text not null,
  events bigint not null,
  primary key (app, day, category, name)
);
comment on table public.metrics_event_counts_daily is 'Events per app, UTC day, category and name. Trigger-maintained.';

create table public.metrics_feature_subjects (
  app text not null,
  category text not null,
  name text not null,
  subject text not null,
  first_day date not null,
  last_day date not null,
  primary key (app, category, name, subject)
);
comment on table public.metrics_feature_subjects is 'Per scope (app, or ''*''), category, event name and subject (user, else anon:<id>): first and last day with the event. Trigger-maintained.';

create table public.metrics_feature_gaps (
  app text not null,
  category text not null,
  name text not null,
  day date not null,
  gap integer not null check (gap >= 0),
  -- No check on subjects: Postgres checks the proposed row of an upsert, here a signed delta.
  subjects integer not null,
  primary key (app, category, name, day, gap)
);
comment on table public.metrics_feature_gaps is 'Per scope, category, event name and day: subjects with the event that day by days since their previous such day (0 = first). Trigger-maintained.';

create table public.metrics_user_first_events (
  app text not null,
  user_id text not null,
  -- an event name, or 'category:<category>' (names cannot contain ':')
  event text not null,
  first_at timestamptz not null,
  primary key (app, user_id, event)
);
comment on table public.metrics_user_first_events is 'Per scope (app, or ''*''), user and event name (or category:<c>): the first such event of the user. Trigger-maintained.';

do $$
declare
  t text;
begin
  foreach t in array array['metrics_event_counts_daily', 'metrics_feature_subjects', 'metrics_feature_gaps', 'metrics_user_first_events'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('create policy %I on public.%I for select to authenticated using (public.is_admin())', t || '_admin_read', t);
  end loop;
end
$$;

-- A subject's events of one name in time order, for the recomputation of late batches.
create index if not exists events_anon_name_time on public.events (anonymous_id, name, occurred_at) include (app)
  where user_id is null;
create index if not exists events_app_name_time_user on public.events (app, name, occurred_at) include (user_id);
drop index if exists public.events_app_name_time;

-- The batch's (scope, category, name, subject, day) rows: each event under its app and under '*'.
create or replace function public.metrics_events_feature_rollup() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into public.metrics_event_counts_daily as c (app, day, category, name, events)
  select app, (occurred_at at time zone 'UTC')::date, category, name, count(*)
  from new_events group by 1, 2, 3, 4 order by 1, 2, 3, 4
  on conflict (app, day, category, name) do update set events = c.events + excluded.events;

  perform pg_advisory_xact_lock(73201147, k.h)
  from (select distinct hashtext(coalesce(user_id, 'anon:' || anonymous_id)) as h from new_events order by 1) k;

  with batch as (
    select s.app, e.category, e.name, coalesce(e.user_id, 'anon:' || e.anonymous_id) as subject,
           (e.occurred_at at time zone 'UTC')::date as day, count(*) as events
    from new_events e cross join lateral (values (e.app), ('*')) as s(app)
    group by 1, 2, 3, 4, 5
  ),
  keys as (
    select b.app, b.category, b.name, b.subject, max(f.last_day) as prev_last,
           coalesce(min(b.day) < max(f.last_day), false) as late
    from batch b
    -- offset 0: kept a per-row index probe (the planner would otherwise hash the whole table)
    left join lateral (
      select f.last_day from public.metrics_feature_subjects f
      where f.app = b.app and f.category = b.category and f.name = b.name and f.subject = b.subject
      offset 0
    ) f on true
    group by 1, 2, 3, 4
  ),
  appended as (
    -- In time order (no day before the subject's last one): the days after its last day are new
    -- and continue from it; a day equal to it changes nothing.
    select b.app, b.category, b.name, b.day,
           coalesce(b.day - coalesce(lag(b.day) over (partition by b.app, b.category, b.name, b.subject order by b.day), k.prev_last), 0) as gap,
           1 as n
    from batch b join keys k using (app, category, name, subject)
    where not k.late and (k.prev_last is null or b.day > k.prev_last)
  ),
  late_days as (
    -- Late: every day of the subject with the event, and whether it had events before this batch.
    select k.app, k.category, k.name, k.subject, x.day, x.events > coalesce(b.events, 0) as had_before
    from keys k
    cross join lateral (
      -- The subject's events (as a user id, and as an anonymous id for 'anon:' subjects), each
      -- branch an index range scan.
      select (a.occurred_at at time zone 'UTC')::date as day, count(*) as events
      from (
        select e.occurred_at from public.events e
        where e.user_id = k.subject and e.name = k.name and e.category = k.category and (k.app = '*' or e.app = k.app)
        union all
        select e.occurred_at from public.events e
        where k.subject like 'anon:%' and e.user_id is null and e.anonymous_id = substr(k.subject, 6)
          and e.name = k.name and e.category = k.category and (k.app = '*' or e.app = k.app)
      ) a
      group by 1
    ) x
    left join batch b using (app, category, name, subject, day)
    where k.late
  ),
  late_contrib as (
    select app, category, name, day, coalesce(day - lag(day) over (partition by app, category, name, subject order by day), 0) as gap, 1 as n
    from late_days
    union all
    select app, category, name, day, coalesce(day - lag(day) over (partition by app, category, name, subject order by day), 0), -1
    from late_days where had_before
  )
  insert into public.metrics_feature_gaps as g (app, category, name, day, gap, subjects)
  select app, category, name, day, gap, sum(n)::int
  from (select * from appended union all select * from late_contrib) c
  group by 1, 2, 3, 4, 5 having sum(n) <> 0
  order by 1, 2, 3, 4, 5
  on conflict (app, category, name, day, gap) do update set subjects = g.subjects + excluded.subjects;

  -- Only rows that change are written (an index probe, as a scalar subquery so that it stays one,
  -- is cheaper than an upsert's row lock).
  insert into public.metrics_feature_subjects as f (app, category, name, subject, first_day, last_day)
  select k.* from (
    select s.app, e.category, e.name, coalesce(e.user_id, 'anon:' || e.anonymous_id) as subject,
           min((e.occurred_at at time zone 'UTC')::date) as lo, max((e.occurred_at at time zone 'UTC')::date) as hi
    from new_events e cross join lateral (values (e.app), ('*')) as s(app)
    group by 1, 2, 3, 4
  ) k
  where (
    select x.first_day <= k.lo and x.last_day >= k.hi from public.metrics_feature_subjects x
    where x.app = k.app and x.category = k.category and x.name = k.name and x.subject = k.subject
  ) is not true
  order by 1, 2, 3, 4
  on conflict (app, category, name, subject) do update
    set first_day = least(f.first_day, excluded.first_day), last_day = greatest(f.last_day, excluded.last_day)
    where excluded.first_day < f.first_day or excluded.last_day > f.last_day;

  insert into public.metrics_user_first_events as f (app, user_id, event, first_at)
  select n.* from (
    select s.app, e.user_id, k.event, min(e.occurred_at) as first_at
    from new_events e
    cross join lateral (values (e.app), ('*')) as s(app)
    cross join lateral (values (e.name), ('category:' || e.category)) as k(event)
    where e.user_id is not null
    group by 1, 2, 3
  ) n
  where (
    select x.first_at <= n.first_at from public.metrics_user_first_events x
    where x.app = n.app and x.user_id = n.user_id and x.event = n.event
  ) is not true
  order by 1, 2, 3
  on conflict (app, user_id, event) do update set first_at = excluded.first_at
    where excluded.first_at < f.first_at;
  return null;
end
$$;

create trigger events_feature_rollup after insert on public.events
  referencing new table as new_events
  for each statement execute function public.metrics_events_feature_rollup();

-- Existing events: build the rollups from what is stored.
insert into public.metrics_user_first_events (app, user_id, event, first_at)
select s.app, e.user_id, k.event, min(e.occurred_at)
from public.events e
cross join lateral (values (e.app), ('*')) as s(app)
cross join lateral (values (e.name), ('category:' || e.category)) as k(event)
where e.user_id is not null
group by 1, 2, 3;

insert into public.metrics_event_counts_daily (app, day, category, name, events)
select app, (occurred_at at time zone 'UTC')::date, category, name, count(*)
from public.events group by 1, 2, 3, 4;

with d as materialized (
  select distinct s.app, e.category, e.name, coalesce(e.user_id, 'anon:' || e.anonymous_id) as subject,
         (e.occurred_at at time zone 'UTC')::date as day
  from public.events e cross join lateral (values (e.app), ('*')) as s(app)
),
s as (
  insert into public.metrics_feature_subjects (app, category, name, subject, first_day, last_day)
  select app, category, name, subject, min(day), max(day) from d group by 1, 2, 3, 4
)
insert into public.metrics_feature_gaps (app, category, name, day, gap, subjects)
select app, category, name, day, gap, count(*)::int from (
  select app, category, name, day, coalesce(day - lag(day) over (partition by app, category, name, subject order by day), 0) as gap
  from d
) x group by 1, 2, 3, 4, 5;
