-- Product events (@org/metrics): a month-partitioned event store, daily per-user and per-account
-- activity rollups maintained incrementally by a statement trigger, a users table (first seen,
-- signed up), usage counters with an atomic increment, and hashed API keys for the HTTP ingest.

-- Events ------------------------------------------------------------------------------------------
-- `id` comes from the client, so a retried batch is absorbed by the primary key. The partition key
-- is part of the key; clients resend the same occurred_at with the same id.
create table public.events (
  id uuid not null,
  app text not null check (app ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  user_id text check (user_id is null or length(user_id) between 1 and 128),
  anonymous_id text check (anonymous_id is null or length(anonymous_id) between 1 and 128),
  account_id text check (account_id is null or length(account_id) between 1 and 128),
  category text not null check (category ~ '^[a-z][a-z0-9_]{0,31}$'),
  name text not null check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  properties jsonb not null default '{}'::jsonb check (jsonb_typeof(properties) = 'object'),
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  ip inet,
  user_agent text check (user_agent is null or length(user_agent) <= 512),
  referrer text check (referrer is null or length(referrer) <= 2048),
  check (user_id is not null or anonymous_id is not null),
  primary key (id, occurred_at)
) partition by range (occurred_at);

comment on table public.events is 'Tracked product events, partitioned by month of occurred_at (UTC). Written by @org/metrics.';

create index events_app_name_time on public.events (app, name, occurred_at);
create index events_user_time on public.events (user_id, occurred_at) where user_id is not null;
create index events_properties on public.events using gin (properties jsonb_path_ops);

create table public.events_default partition of public.events default;
alter table public.events enable row level security;
alter table public.events_default enable row level security;
revoke all on public.events_default from anon, authenticated;

-- Admins read events; nobody else reads them through the API. Writes: the service role (bypasses
-- RLS) and the track_events() RPC below.
create policy events_admin_read on public.events for select to authenticated using (public.is_admin());

-- Creates the monthly partitions covering [p_from, p_to). Rows that already landed in the default
-- partition for such a month are moved into the new partition (without re-firing the rollups).
create or replace function public.metrics_ensure_event_partitions(p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  m timestamptz := date_trunc('month', p_from at time zone 'UTC') at time zone 'UTC';
  nxt timestamptz;
  part text;
  created integer := 0;
begin
  while m < p_to loop
    nxt := (date_trunc('month', m at time zone 'UTC') + interval '1 month') at time zone 'UTC';
    part := 'events_' || to_char(m at time zone 'UTC', 'YYYY_MM');
    if to_regclass('public.' || part) is null then
      perform pg_advisory_xact_lock(7320114600);
      if to_regclass('public.' || part) is null then
        execute format('create temp table if not exists _moved_events (like public.events) on commit drop');
        execute format('with d as (delete from public.events_default where occurred_at >= %L and occurred_at < %L returning *) insert into _moved_events select * from d', m, nxt);
        execute format('create table public.%I partition of public.events for values from (%L) to (%L)', part, m, nxt);
        execute format('alter table public.%I enable row level security', part);
        execute format('revoke all on public.%I from anon, authenticated', part);
        execute format('insert into public.%I select * from _moved_events', part);
        execute 'truncate _moved_events';
        created := created + 1;
      end if;
    end if;
    m := nxt;
  end loop;
  return created;
end
$$;

revoke execute on function public.metrics_ensure_event_partitions(timestamptz, timestamptz) from public, anon, authenticated;

select public.metrics_ensure_event_partitions('2025-01-01T00:00:00Z', '2028-01-01T00:00:00Z');

-- Users seen by the event store: first event and first user_signed_up, the basis of cohorts.
create table public.metrics_users (
  app text not null,
  user_id text not null,
  account_id text,
  first_seen_at timestamptz not null,
  signed_up_at timestamptz,
  last_seen_at timestamptz not null,
  primary key (app, user_id)
);
comment on table public.metrics_users is 'Per app and user: first and last event, first user_signed_up (cohort = coalesce(signed_up_at, first_seen_at)).';
alter table public.metrics_users enable row level security;
create policy metrics_users_admin_read on public.metrics_users for select to authenticated using (public.is_admin());

-- Daily activity per user: qualifying (non-system) events on a UTC day.
create table public.metrics_user_activity_daily (
  app text not null,
  user_id text not null,
  day date not null,
  events integer not null check (events > 0),
  first_at timestamptz not null,
  last_at timestamptz not null,
  primary key (app, user_id, day)
);
create index metrics_user_activity_daily_day on public.metrics_user_activity_daily (app, day);
alter table public.metrics_user_activity_daily enable row level security;
create policy metrics_user_activity_daily_admin_read on public.metrics_user_activity_daily for select to authenticated using (public.is_admin());

-- Daily activity per account (organisation).
create table public.metrics_account_activity_daily (
  app text not null,
  account_id text not null,
  day date not null,
  events integer not null check (events > 0),
  primary key (app, account_id, day)
);
create index metrics_account_activity_daily_day on public.metrics_account_activity_daily (app, day);
alter table public.metrics_account_activity_daily enable row level security;
create policy metrics_account_activity_daily_admin_read on public.metrics_account_activity_daily for select to authenticated using (public.is_admin());

-- Incremental rollups: one pass over the rows a statement really inserted (ON CONFLICT DO NOTHING
-- duplicates are not in the transition table). Ordered to keep concurrent batches from deadlocking.
create or replace function public.metrics_events_rollup() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into public.metrics_users as u (app, user_id, account_id, first_seen_at, signed_up_at, last_seen_at)
  select n.app, n.user_id, (array_agg(n.account_id order by n.occurred_at desc) filter (where n.account_id is not null))[1],
         min(n.occurred_at), min(n.occurred_at) filter (where n.name = 'user_signed_up'), max(n.occurred_at)
  from new_events n where n.user_id is not null
  group by n.app, n.user_id
  order by n.app, n.user_id
  on conflict (app, user_id) do update set
    account_id = coalesce(excluded.account_id, u.account_id),
    first_seen_at = least(u.first_seen_at, excluded.first_seen_at),
    signed_up_at = case when u.signed_up_at is null then excluded.signed_up_at
                        when excluded.signed_up_at is null then u.signed_up_at
                        else least(u.signed_up_at, excluded.signed_up_at) end,
    last_seen_at = greatest(u.last_seen_at, excluded.last_seen_at);

  insert into public.metrics_user_activity_daily as d (app, user_id, day, events, first_at, last_at)
  select n.app, n.user_id, (n.occurred_at at time zone 'UTC')::date, count(*), min(n.occurred_at), max(n.occurred_at)
  from new_events n where n.user_id is not null and n.category <> 'system'
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (app, user_id, day) do update set
    events = d.events + excluded.events,
    first_at = least(d.first_at, excluded.first_at),
    last_at = greatest(d.last_at, excluded.last_at);

  insert into public.metrics_account_activity_daily as d (app, account_id, day, events)
  select n.app, n.account_id, (n.occurred_at at time zone 'UTC')::date, count(*)
  from new_events n where n.account_id is not null and n.category <> 'system'
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (app, account_id, day) do update set events = d.events + excluded.events;
  return null;
end
$$;

create trigger events_rollup after insert on public.events
  referencing new table as new_events
  for each statement execute function public.metrics_events_rollup();

-- Usage counters ----------------------------------------------------------------------------------
create table public.usage_counters (
  app text not null,
  user_id text not null,
  day date not null,
  counter text not null default 'requests' check (counter ~ '^[a-z][a-z0-9_]{0,63}$'),
  value bigint not null default 0 check (value >= 0),
  updated_at timestamptz not null default now(),
  primary key (app, user_id, day, counter)
);
alter table public.usage_counters enable row level security;
create policy usage_counters_admin_read on public.usage_counters for select to authenticated using (public.is_admin());

-- Idempotency keys of applied increments (a retried increment is absorbed).
create table public.usage_counter_increments (
  idempotency_key text primary key check (length(idempotency_key) between 1 and 200),
  app text not null,
  user_id text not null,
  day date not null,
  counter text not null,
  amount bigint not null,
  applied_at timestamptz not null default now()
);
alter table public.usage_counter_increments enable row level security;

-- Atomic increment in one statement; returns the counter's value after it. With a key, a repeated
-- call returns the current value without adding again.
create or replace function public.increment_usage_counter(
  p_app text, p_user_id text, p_day date, p_counter text, p_amount bigint, p_idempotency_key text default null
) returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v bigint;
begin
  if p_amount is null or p_amount < 0 then
    raise exception 'usage counter amount must be >= 0, got %', p_amount using errcode = '22023';
  end if;
  if p_idempotency_key is not null then
    insert into public.usage_counter_increments (idempotency_key, app, user_id, day, counter, amount)
    values (p_idempotency_key, p_app, p_user_id, p_day, p_counter, p_amount)
    on conflict (idempotency_key) do nothing;
    if not found then
      select c.value into v from public.usage_counters c
      where c.app = p_app and c.user_id = p_user_id and c.day = p_day and c.counter = p_counter;
      return coalesce(v, 0);
    end if;
  end if;
  insert into public.usage_counters as c (app, user_id, day, counter, value)
  values (p_app, p_user_id, p_day, p_counter, p_amount)
  on conflict (app, user_id, day, counter) do update set value = c.value + excluded.value, updated_at = now()
  returning c.value into v;
  return v;
end
$$;

revoke execute on function public.increment_usage_counter(text, text, date, text, bigint, text) from public, anon, authenticated;

-- API keys of the HTTP ingest ---------------------------------------------------------------------
-- Only the SHA-256 of a key is stored; the key itself is shown once when created.
create table public.metrics_api_keys (
  id uuid primary key default gen_random_uuid(),
  app text not null check (app ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  name text not null,
  prefix text not null,
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
alter table public.metrics_api_keys enable row level security;
create policy metrics_api_keys_admin_read on public.metrics_api_keys for select to authenticated using (public.is_admin());
