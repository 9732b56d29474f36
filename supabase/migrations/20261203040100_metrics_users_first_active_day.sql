-- Lifecycle's "new" users are the ones created in an interval and active in it, and "returning"
-- needs to know whether they were active in the interval before. A user's first active day tells
-- both for every user first active on or after the day before that interval (nearly everyone: the
-- signup is usually the first event), so a 90-day series reads 80,000 users' rows instead of
-- probing their activity. Kept by a trigger on the daily activity rollup, whatever writes it.
alter table public.metrics_users add column first_active_day date;
comment on column public.metrics_users.first_active_day is 'First UTC day in metrics_user_activity_daily (qualifying events). Trigger-maintained.';

-- Statistics on the cohort instant: cohort and lifecycle queries filter on it, and without them the
-- planner took 79,000 users for 500 and chose per-user probes.
create statistics if not exists metrics_users_cohort_instant on (coalesce(signed_up_at, first_seen_at)) from public.metrics_users;

create or replace function public.metrics_users_first_active_day() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Only the rows that move (a user's first day, or an earlier one arriving late).
  update public.metrics_users u set first_active_day = n.day
  from (select app, user_id, min(day) as day from new_days group by 1, 2 order by 1, 2) n
  where u.app = n.app and u.user_id = n.user_id and (u.first_active_day is null or n.day < u.first_active_day);
  return null;
end
$$;
create trigger b_metrics_users_first_active_day after insert on public.metrics_user_activity_daily
  referencing new table as new_days for each statement execute function public.metrics_users_first_active_day();

update public.metrics_users u set first_active_day = d.day
from (select app, user_id, min(day) as day from public.metrics_user_activity_daily group by 1, 2) d
where u.app = d.app and u.user_id = d.user_id;
analyze public.metrics_users;
