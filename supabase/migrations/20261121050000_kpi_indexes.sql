-- Product KPIs (@org/metrics): funnel steps look up "the first event named N of user U after t" —
-- one index-only probe per user and partition with this index (app is included so the optional
-- app filter needs no heap access).
create index if not exists events_user_name_time on public.events (user_id, name, occurred_at) include (app)
  where user_id is not null;
