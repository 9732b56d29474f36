-- Product KPIs (@org/metrics) at scale: rollups that let every dashboard query read O(days) rows
-- instead of O(events) or O(user-days), all maintained incrementally by statement triggers.
--
-- 1. The name checks of `events` without bounded repetition: `{0,63}` makes Postgres' regex engine
--    build a large automaton per match (~25 us per value); a plain class with `*` plus a length
--    check accepts exactly the same strings at a tenth of the cost.
-- 2. `metrics_user_active_days`: the days each user was active in any app (the basis of the
--    "all apps" KPIs, where a user active in two apps on one day counts once).
-- 3. `metrics_active_gaps`: per scope (an app, or '*' for all apps) and day, how many users were
--    active that day, by the number of days since their previous active day (gap; 0 = none
--    before). A user is counted once over [F, T] on their first active day in it, i.e. where
--    gap = 0 or gap > day - F, so DAU, WAU, MAU and the distinct users of any range are sums over
--    at most (range length x distinct gaps) small rows.
-- 4. `metrics_user_active_months`: per scope, month and user, the active days as a bitmap; the
--    number of days a user was active in any range is a popcount over at most a few rows per user
--    (stickiness distribution, top users).
-- 5. `metrics_user_active_weeks`: the same per app and ISO week (Monday start), seven bits a row,
--    read by weekly retention (a cohort's users and the weeks they were active).

-- 1. Event name checks -----------------------------------------------------------------------------
alter table public.events
  drop constraint events_app_check,
  drop constraint events_category_check,
  drop constraint events_name_check;
alter table public.events
  add constraint events_app_check check (length(app) <= 64 and app ~ '^[a-z0-9][a-z0-9_.-]*$'),
  add constraint events_category_check check (length(category) <= 32 and category ~ '^[a-z][a-z0-9_]*$'),
  add constraint events_name_check check (length(name) <= 64 and name ~ '^[a-z][a-z0-9_]*$');

-- 2. Active days across apps ----------------------------------------------------------------------
create table public.metrics_user_active_days (
  app text not null default '*' check (app = '*'),
  user_id text not null,
  day date not null,
  primary key (app, user_id, day)
);
comment on table public.metrics_user_active_days is 'Days each user was active in any app (scope ''*''), derived from metrics_user_activity_daily by trigger.';
alter table public.metrics_user_active_days enable row level security;
create policy metrics_user_active_days_admin_read on public.metrics_user_active_days for select to authenticated using (public.is_admin());

-- 3. Active users by gap --------------------------------------------------------------------------
create table public.metrics_active_gaps (
  app text not null,
  day date not null,
  gap integer not null check (gap >= 0),
  -- No check on users: Postgres checks the proposed row of an upsert, here a signed delta.
  users integer not null,
  primary key (app, day, gap)
);
comment on table public.metrics_active_gaps is 'Per scope (app, or ''*'' = all apps) and day: users active that day by days since their previous active day (gap, 0 = first active day). Trigger-maintained.';
alter table public.metrics_active_gaps enable row level security;
create policy metrics_active_gaps_admin_read on public.metrics_active_gaps for select to authenticated using (public.is_admin());

-- 4. Active days per user and month ----------------------------------------------------------------
create table public.metrics_user_active_months (
  app text not null,
  month date not null,
  user_id text not null,
  -- bit i set = active on day i + 1 of the month
  days integer not null,
  primary key (app, month, user_id)
);
comment on table public.metrics_user_active_months is 'Per scope (app, or ''*''), month and user: active days as a bitmap (bit i = day i + 1). Trigger-maintained.';
alter table public.metrics_user_active_months enable row level security;
create policy metrics_user_active_months_admin_read on public.metrics_user_active_months for select to authenticated using (public.is_admin());

-- 5. Active days per user and ISO week ------------------------------------------------------------
create table public.metrics_user_active_weeks (
  app text not null,
  user_id text not null,
  week date not null,
  -- bit i set = active on Monday + i days
  days smallint not null,
  primary key (app, user_id, week)
);
comment on table public.metrics_user_active_weeks is 'Per app, user and ISO week (Monday): active days as a bitmap (bit i = Monday + i). Trigger-maintained.';
alter table public.metrics_user_active_weeks enable row level security;
create policy metrics_user_active_weeks_admin_read on public.metrics_user_active_weeks for select to authenticated using (public.is_admin());

-- The gap, month and week maintenance is the same SQL over two tables of (app, user_id, day) rows: the per-app
-- daily rollup and the all-apps days above. One template, instantiated for each.
--
-- Inserted days (transition table `new_days`, only rows that were really new): for each user, the
-- rows between the existing day before their first new day (lb) and the existing day after their
-- last new day (ub) are the only ones whose gap can change. Their gaps are computed twice, once
-- over all rows (now) and once over the old rows only (before); the difference, summed per
-- (day, gap), is applied. A user's previous day is read after the metrics_users row lock of the
-- events trigger (and the per-user advisory lock below), so concurrent batches of one user
-- serialise here and each sees the other's committed days.
--
-- Deleted days (rare: repairs, tests): the affected users' contributions are recomputed in full.
do $do$
declare
  tpl_insert constant text := $tpl$
create or replace function public.%1$I() returns trigger
language plpgsql
set search_path = ''
as $fn$
begin
  if not exists (select 1 from new_days) then
    return null;
  end if;
  perform pg_advisory_xact_lock(73201147, k.h)
  from (select distinct hashtext(user_id) as h from new_days order by 1) k;

  with nu as (
    select app, user_id, min(day) as lo, max(day) as hi from new_days group by app, user_id
  ),
  b as (
    select nu.app, nu.user_id,
           (select max(t.day) from public.%2$I t where t.app = nu.app and t.user_id = nu.user_id and t.day < nu.lo) as lb,
           (select min(t.day) from public.%2$I t where t.app = nu.app and t.user_id = nu.user_id and t.day > nu.hi) as ub
    from nu
  ),
  w as (
    select t.app, t.user_id, t.day, n.day is not null as is_new, b.lb
    from b
    -- The user's rows by primary key, per user (offset 0: never a hash of the whole table; the
    -- day bounds are a filter, so no plan prefers a by-day index over the user's few rows).
    cross join lateral (
      select t.app, t.user_id, t.day from public.%2$I t
      where t.app = b.app and t.user_id = b.user_id
        and t.day + 0 >= coalesce(b.lb, '-infinity'::date) and t.day + 0 <= coalesce(b.ub, 'infinity'::date)
      offset 0
    ) t
    left join new_days n on n.app = t.app and n.user_id = t.user_id and n.day = t.day
  ),
  contrib as (
    select app, day, lb, coalesce(day - lag(day) over (partition by app, user_id order by day), 0) as gap, 1 as n
    from w
    union all
    select app, day, lb, coalesce(day - lag(day) over (partition by app, user_id order by day), 0), -1
    from w where not is_new
  )
  insert into public.metrics_active_gaps as g (app, day, gap, users)
  select app, day, gap, sum(n)::int from contrib
  where lb is null or day > lb
  group by app, day, gap having sum(n) <> 0
  order by app, day, gap
  on conflict (app, day, gap) do update set users = g.users + excluded.users;

  insert into public.metrics_user_active_months as m (app, month, user_id, days)
  select app, date_trunc('month', day)::date, user_id, bit_or(1 << (extract(day from day)::int - 1))
  from new_days group by 1, 2, 3 order by 1, 2, 3
  on conflict (app, month, user_id) do update set days = m.days | excluded.days;

  -- Weeks per app only: retention counts each (app, user) as its own subject.
  insert into public.metrics_user_active_weeks as w (app, user_id, week, days)
  select app, user_id, date_trunc('week', day)::date, bit_or(1 << (extract(isodow from day)::int - 1))::smallint
  from new_days where app <> '*' group by 1, 2, 3 order by 1, 2, 3
  on conflict (app, user_id, week) do update set days = w.days | excluded.days;
  return null;
end
$fn$;
$tpl$;
  tpl_delete constant text := $tpl$
create or replace function public.%1$I() returns trigger
language plpgsql
set search_path = ''
as $fn$
begin
  if not exists (select 1 from old_days) then
    return null;
  end if;
  perform pg_advisory_xact_lock(73201147, k.h)
  from (select distinct hashtext(user_id) as h from old_days order by 1) k;

  with au as (select distinct app, user_id from old_days),
  now_days as (select t.app, t.user_id, t.day from au join public.%2$I t on t.app = au.app and t.user_id = au.user_id),
  before_days as (select app, user_id, day from now_days union all select app, user_id, day from old_days),
  contrib as (
    select app, day, coalesce(day - lag(day) over (partition by app, user_id order by day), 0) as gap, 1 as n from now_days
    union all
    select app, day, coalesce(day - lag(day) over (partition by app, user_id order by day), 0), -1 from before_days
  )
  insert into public.metrics_active_gaps as g (app, day, gap, users)
  select app, day, gap, sum(n)::int from contrib
  group by app, day, gap having sum(n) <> 0
  order by app, day, gap
  on conflict (app, day, gap) do update set users = g.users + excluded.users;

  update public.metrics_user_active_months m set days = m.days & ~o.bits
  from (
    select app, date_trunc('month', day)::date as month, user_id, bit_or(1 << (extract(day from day)::int - 1)) as bits
    from old_days group by 1, 2, 3
  ) o
  where m.app = o.app and m.month = o.month and m.user_id = o.user_id;
  delete from public.metrics_user_active_months m
  using (select distinct app, date_trunc('month', day)::date as month, user_id from old_days) o
  where m.days = 0 and m.app = o.app and m.month = o.month and m.user_id = o.user_id;

  update public.metrics_user_active_weeks w set days = w.days & ~o.bits
  from (
    select app, user_id, date_trunc('week', day)::date as week, bit_or(1 << (extract(isodow from day)::int - 1))::smallint as bits
    from old_days where app <> '*' group by 1, 2, 3
  ) o
  where w.app = o.app and w.user_id = o.user_id and w.week = o.week;
  delete from public.metrics_user_active_weeks w
  using (select distinct app, user_id, date_trunc('week', day)::date as week from old_days) o
  where w.days = 0 and w.app = o.app and w.user_id = o.user_id and w.week = o.week;
  return null;
end
$fn$;
$tpl$;
begin
  execute format(tpl_insert, 'metrics_gaps_after_insert_daily', 'metrics_user_activity_daily');
  execute format(tpl_insert, 'metrics_gaps_after_insert_all', 'metrics_user_active_days');
  execute format(tpl_delete, 'metrics_gaps_after_delete_daily', 'metrics_user_activity_daily');
  execute format(tpl_delete, 'metrics_gaps_after_delete_all', 'metrics_user_active_days');
end
$do$;

-- New days of the per-app rollup become days of the all-apps scope (when no other app had them).
create or replace function public.metrics_active_days_after_insert() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from new_days) then
    return null;
  end if;
  insert into public.metrics_user_active_days (user_id, day)
  select distinct user_id, day from new_days order by user_id, day
  on conflict do nothing;
  return null;
end
$$;

create or replace function public.metrics_active_days_after_delete() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from old_days) then
    return null;
  end if;
  delete from public.metrics_user_active_days a
  using (select distinct user_id, day from old_days) o
  where a.user_id = o.user_id and a.day = o.day
    and not exists (select 1 from public.metrics_user_activity_daily t where t.user_id = o.user_id and t.day = o.day);
  return null;
end
$$;

create or replace function public.metrics_active_days_after_truncate() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_table_name = 'metrics_user_activity_daily' then
    delete from public.metrics_active_gaps where app <> '*';
    delete from public.metrics_user_active_months where app <> '*';
    delete from public.metrics_user_active_weeks where app <> '*';
    truncate public.metrics_user_active_days;
  else
    delete from public.metrics_active_gaps where app = '*';
    delete from public.metrics_user_active_months where app = '*';
  end if;
  return null;
end
$$;

-- Trigger names sort in the order they must run (Postgres fires same-event triggers by name).
create trigger a_metrics_gaps after insert on public.metrics_user_activity_daily
  referencing new table as new_days for each statement execute function public.metrics_gaps_after_insert_daily();
create trigger b_metrics_active_days after insert on public.metrics_user_activity_daily
  referencing new table as new_days for each statement execute function public.metrics_active_days_after_insert();
create trigger a_metrics_gaps_delete after delete on public.metrics_user_activity_daily
  referencing old table as old_days for each statement execute function public.metrics_gaps_after_delete_daily();
create trigger b_metrics_active_days_delete after delete on public.metrics_user_activity_daily
  referencing old table as old_days for each statement execute function public.metrics_active_days_after_delete();
create trigger metrics_active_days_truncate after truncate on public.metrics_user_activity_daily
  for each statement execute function public.metrics_active_days_after_truncate();

create trigger a_metrics_gaps after insert on public.metrics_user_active_days
  referencing new table as new_days for each statement execute function public.metrics_gaps_after_insert_all();
create trigger a_metrics_gaps_delete after delete on public.metrics_user_active_days
  referencing old table as old_days for each statement execute function public.metrics_gaps_after_delete_all();
create trigger metrics_active_gaps_truncate after truncate on public.metrics_user_active_days
  for each statement execute function public.metrics_active_days_after_truncate();

-- Existing data: build the new rollups from what is already stored.
insert into public.metrics_user_active_days (user_id, day)
select distinct user_id, day from public.metrics_user_activity_daily order by 1, 2
on conflict do nothing;
-- (the insert above fired the '*' triggers; the per-app rollups are built directly)
insert into public.metrics_active_gaps (app, day, gap, users)
select app, day, gap, count(*)::int from (
  select app, day, coalesce(day - lag(day) over (partition by app, user_id order by day), 0) as gap
  from public.metrics_user_activity_daily
) s group by 1, 2, 3;
insert into public.metrics_user_active_months (app, month, user_id, days)
select app, date_trunc('month', day)::date, user_id, bit_or(1 << (extract(day from day)::int - 1))
from public.metrics_user_activity_daily group by 1, 2, 3;
insert into public.metrics_user_active_weeks (app, user_id, week, days)
select app, user_id, date_trunc('week', day)::date, bit_or(1 << (extract(isodow from day)::int - 1))::smallint
from public.metrics_user_activity_daily group by 1, 2, 3;
