-- Weekly retention by signup week read every (user, week) row of its cohorts' users: 90 days of
-- cohorts on the 10M-event bench dataset are 72,500 users joined with 865,000 week rows, 500-700 ms
-- whatever the plan. Each user's own row now also holds the ISO weeks they were active in, counted
-- from their cohort's week (bit k = active in week k after it, k <= 62), so a matrix reads one row
-- per cohort user. The week rollup stays the source: triggers keep the bits when week rows appear
-- or (in repairs) disappear, and rebuild them when the cohort instant moves (an earlier event, or a
-- signup arriving).
alter table public.metrics_users add column cohort_weeks_active bigint not null default 0;
comment on column public.metrics_users.cohort_weeks_active is
  'Bit k set = active (metrics_user_active_weeks) in the ISO week k weeks after the cohort''s week, date_trunc(''week'', coalesce(signed_up_at, first_seen_at)) in UTC; k <= 62. Trigger-maintained.';

create function public.metrics_cohort_weeks_active(p_app text, p_user_id text, p_cohort_week date) returns bigint
language sql
stable
set search_path = ''
as $$
  select coalesce(bit_or(1::int8 << ((w.week - p_cohort_week) / 7)), 0)
  from public.metrics_user_active_weeks w
  where w.app = p_app and w.user_id = p_user_id and w.week >= p_cohort_week and w.week <= p_cohort_week + 62 * 7
$$;
revoke execute on function public.metrics_cohort_weeks_active(text, text, date) from public, anon, authenticated;
grant execute on function public.metrics_cohort_weeks_active(text, text, date) to service_role;

-- The cohort instant moved to another week: the bits are rebuilt against the new week.
create function public.metrics_users_cohort_weeks_rebase() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.cohort_weeks_active := public.metrics_cohort_weeks_active(
    new.app, new.user_id, date_trunc('week', coalesce(new.signed_up_at, new.first_seen_at) at time zone 'UTC')::date);
  return new;
end
$$;
create trigger metrics_users_cohort_weeks_rebase before update of signed_up_at, first_seen_at on public.metrics_users
  for each row
  when (date_trunc('week', coalesce(new.signed_up_at, new.first_seen_at) at time zone 'UTC')
        is distinct from date_trunc('week', coalesce(old.signed_up_at, old.first_seen_at) at time zone 'UTC'))
  execute function public.metrics_users_cohort_weeks_rebase();

-- New week rows (ON CONFLICT updates of a known week are not in the transition table). The users'
-- rows were locked by the events trigger earlier in the statement, so their cohort is settled.
create function public.metrics_users_cohort_weeks_add() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.metrics_users u set cohort_weeks_active = u.cohort_weeks_active | a.bits
  from (
    select n.app, n.user_id, bit_or(1::int8 << ((n.week - c.week) / 7)) as bits
    from new_weeks n
    cross join lateral (
      select date_trunc('week', coalesce(m.signed_up_at, m.first_seen_at) at time zone 'UTC')::date as week
      from public.metrics_users m where m.app = n.app and m.user_id = n.user_id
    ) c
    where n.week >= c.week and n.week <= c.week + 62 * 7
    group by n.app, n.user_id
  ) a
  where u.app = a.app and u.user_id = a.user_id and u.cohort_weeks_active & a.bits <> a.bits;
  return null;
end
$$;

create function public.metrics_users_cohort_weeks_remove() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.metrics_users u
  set cohort_weeks_active = public.metrics_cohort_weeks_active(
    u.app, u.user_id, date_trunc('week', coalesce(u.signed_up_at, u.first_seen_at) at time zone 'UTC')::date)
  from (select distinct app, user_id from old_weeks) o
  where u.app = o.app and u.user_id = o.user_id;
  return null;
end
$$;

create function public.metrics_users_cohort_weeks_clear() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.metrics_users set cohort_weeks_active = 0 where cohort_weeks_active <> 0;
  return null;
end
$$;

create trigger metrics_users_cohort_weeks_add after insert on public.metrics_user_active_weeks
  referencing new table as new_weeks for each statement execute function public.metrics_users_cohort_weeks_add();
create trigger metrics_users_cohort_weeks_remove after delete on public.metrics_user_active_weeks
  referencing old table as old_weeks for each statement execute function public.metrics_users_cohort_weeks_remove();
create trigger metrics_users_cohort_weeks_clear after truncate on public.metrics_user_active_weeks
  for each statement execute function public.metrics_users_cohort_weeks_clear();

-- Existing users (the update leaves the cohort columns alone, so the rebase trigger stays quiet).
update public.metrics_users u set cohort_weeks_active = b.bits
from (
  select w.app, w.user_id, bit_or(1::int8 << ((w.week - c.week) / 7)) as bits
  from public.metrics_user_active_weeks w
  join (
    select app, user_id, date_trunc('week', coalesce(signed_up_at, first_seen_at) at time zone 'UTC')::date as week
    from public.metrics_users
  ) c on c.app = w.app and c.user_id = w.user_id
  where w.week >= c.week and w.week <= c.week + 62 * 7
  group by w.app, w.user_id
) b
where u.app = b.app and u.user_id = b.user_id;
