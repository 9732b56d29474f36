-- Product-event ingest (@org/metrics): a dedupe key of (app, id), durable acknowledgements,
-- bounded partition creation, and per-event refusals in the track_events() RPC.
--
-- 1. `metrics_event_ids (app, id)`: the key an event is stored under, in an unpartitioned table
--    (a unique index of the month-partitioned `events` must contain occurred_at). Every write
--    path claims its events' keys in the same statement that stores them (insertEvents,
--    enqueueEvents, track_events), in key order, so: the same id resent with another occurred_at
--    is stored once; the same id from two apps is stored for both (the old key (id, occurred_at)
--    dropped the second app's event); two concurrent batches that overlap wait on each other in
--    one order (no deadlock); and `inserted` counts exactly the events claimed by that request (a
--    resend racing a drain of the inbox no longer counts again). Keys are never deleted: a drained
--    event keeps its key.
-- 2. `events`' primary key becomes (app, id, occurred_at), so events of two apps with the same id
--    and timestamp both fit; the inbox loses its (id, occurred_at) unique index (the key table
--    decides; one index less per enqueued row).
-- 3. Durable acknowledgements: a transaction that claims event keys or records usage commits with
--    synchronous_commit = on, whatever the server, database, role or caller set (a statement
--    trigger, as for the billing ledger's acknowledged rows). The inbox drain, derived and redone
--    from the inbox, does not claim keys and may commit asynchronously.
-- 4. metrics_ensure_event_partitions() refuses ranges of more than 36 months (one request dated
--    in year 0050 had created ~22,800 partitions under an exclusive lock on events).
-- 5. track_events(): occurred_at outside [now - 400 days, now + 1 day] and properties nested
--    deeper than 32 levels are refused per event (listed in `rejected`) while the batch's other
--    events are stored; keys claimed as above; lock_timeout 5 s; durable commit.

-- 1. Key table --------------------------------------------------------------------------------
create table public.metrics_event_ids (
  app text not null,
  id uuid not null,
  primary key (app, id)
);
comment on table public.metrics_event_ids is
  'Dedupe key of product events: (app, id) of every event accepted into metrics_event_inbox or events. Claimed in the same statement as the event.';
alter table public.metrics_event_ids enable row level security;
revoke all on public.metrics_event_ids from anon, authenticated;

insert into public.metrics_event_ids (app, id)
select app, id from public.events
union
select app, id from public.metrics_event_inbox
on conflict do nothing;

-- 2. Keys of events and the inbox ---------------------------------------------------------------
alter table public.events drop constraint events_pkey;
alter table public.events add constraint events_pkey primary key (app, id, occurred_at);
drop index public.metrics_event_inbox_event;

-- 3. Durable commits -----------------------------------------------------------------------------
-- set_config(..., true) outlives the trigger function (only a function's own SET clause is
-- restored at its exit) and lasts until the transaction's commit, single statements included.
create or replace function public.metrics_durable_commit() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  perform pg_catalog.set_config('synchronous_commit', 'on', true);
  return null;
end
$$;
comment on function public.metrics_durable_commit() is
  'Statement trigger: the writing transaction commits with synchronous_commit = on (acknowledged events and usage survive a server crash).';
revoke all on function public.metrics_durable_commit() from public, anon, authenticated;

create trigger metrics_event_ids_durable_commit after insert on public.metrics_event_ids
  for each statement execute function public.metrics_durable_commit();
create trigger usage_counters_durable_commit after insert or update on public.usage_counters
  for each statement execute function public.metrics_durable_commit();
create trigger usage_counter_increments_durable_commit after insert on public.usage_counter_increments
  for each statement execute function public.metrics_durable_commit();

-- 4. Bounded partition creation ------------------------------------------------------------------
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
  if p_from is null or p_to is null or p_to > p_from + interval '36 months' then
    raise exception 'metrics_ensure_event_partitions: at most 36 months per call, got [%, %)', p_from, p_to
      using errcode = '22023';
  end if;
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

-- 5. track_events() -----------------------------------------------------------------------------
-- Whether a JSON value nests containers deeper than p_max levels (the value itself is level 1).
-- Level by level, so any depth the JSON parser accepted is measured without recursion.
create or replace function public.metrics_jsonb_too_deep(p_value jsonb, p_max integer)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  level jsonb[] := array[p_value];
  depth integer := 0;
begin
  while cardinality(level) > 0 loop
    depth := depth + 1;
    if depth > p_max then
      return true;
    end if;
    select coalesce(array_agg(c.v), '{}') into level
    from unnest(level) as t(x)
    cross join lateral (
      select value as v from pg_catalog.jsonb_each(case when pg_catalog.jsonb_typeof(t.x) = 'object' then t.x else '{}'::jsonb end)
      union all
      select value from pg_catalog.jsonb_array_elements(case when pg_catalog.jsonb_typeof(t.x) = 'array' then t.x else '[]'::jsonb end)
    ) c
    where pg_catalog.jsonb_typeof(c.v) in ('object', 'array');
  end loop;
  return false;
end
$$;
revoke execute on function public.metrics_jsonb_too_deep(jsonb, integer) from public, anon, authenticated;

-- Validates the batch as before (a malformed batch or event, or another user's events, refuse the
-- whole batch). Then events dated outside [now - 400 days, now + 1 day] or with properties nested
-- deeper than 32 levels are refused one by one, listed in the answer's `rejected` as
-- { index (0-based), id, code, message }, and the rest is stored:
-- { received, inserted, duplicates, rejected }. The statement_timeout is the caller's (Supabase
-- sets one per role); locks are waited for at most 5 s.
create or replace function public.track_events(p_app text, p_events jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_role text;
  v_uid text;
  v_len integer;
  e jsonb;
  i integer := 0;
  k text;
  v_user text;
  v_at timestamptz;
  v_ok integer[] := '{}';
  v_rejected jsonb := '[]'::jsonb;
  v_inserted integer := 0;
begin
  -- An acknowledged batch survives a server crash, whatever the server's default.
  perform pg_catalog.set_config('synchronous_commit', 'on', true);

  -- Who is calling: the JWT role (PostgREST) or the SET ROLE of the session, whichever is restricted.
  v_role := case
    when coalesce(auth.role(), '') = 'anon' or current_setting('role', true) = 'anon' then 'anon'
    when coalesce(auth.role(), '') = 'authenticated' or current_setting('role', true) = 'authenticated' then 'authenticated'
    else 'service' end;
  v_uid := auth.uid()::text;
  if v_role = 'authenticated' and v_uid is null then
    raise exception 'track_events: the caller has no user id (auth.uid() is null)' using errcode = '42501';
  end if;

  if p_app is null or p_app !~ '^[a-z0-9][a-z0-9_.-]{0,63}$' then
    raise exception 'invalid event batch: app must match ^[a-z0-9][a-z0-9_.-]{0,63}$' using errcode = '22023';
  end if;
  if p_events is null or jsonb_typeof(p_events) <> 'array' then
    raise exception 'invalid event batch: events must be a JSON array' using errcode = '22023';
  end if;
  v_len := jsonb_array_length(p_events);
  if v_len < 1 or v_len > 500 then
    raise exception 'invalid event batch: 1 to 500 events per batch, got %', v_len using errcode = '22023';
  end if;
  if length(p_events::text) > 524288 then
    raise exception 'invalid event batch: larger than 512 KB' using errcode = '22023';
  end if;

  for e in select value from jsonb_array_elements(p_events) loop
    i := i + 1;
    if jsonb_typeof(e) <> 'object' then
      raise exception 'invalid event batch: event % is not an object', i using errcode = '22023';
    end if;
    for k in select jsonb_object_keys(e) loop
      if k not in ('id', 'name', 'category', 'user_id', 'anonymous_id', 'account_id', 'properties', 'occurred_at') then
        raise exception 'invalid event batch: event %: unknown field "%"', i, k using errcode = '22023';
      end if;
    end loop;
    if jsonb_typeof(e -> 'id') is distinct from 'string'
       or (e ->> 'id') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      raise exception 'invalid event batch: event %: id must be a UUID string', i using errcode = '22023';
    end if;
    if jsonb_typeof(e -> 'name') is distinct from 'string' or (e ->> 'name') !~ '^[a-z][a-z0-9_]{0,63}$' then
      raise exception 'invalid event batch: event %: name must match ^[a-z][a-z0-9_]{0,63}$', i using errcode = '22023';
    end if;
    if jsonb_typeof(e -> 'category') is distinct from 'string' or (e ->> 'category') !~ '^[a-z][a-z0-9_]{0,31}$' then
      raise exception 'invalid event batch: event %: category must match ^[a-z][a-z0-9_]{0,31}$', i using errcode = '22023';
    end if;
    if e ? 'properties' and jsonb_typeof(e -> 'properties') <> 'object' then
      raise exception 'invalid event batch: event %: properties must be an object', i using errcode = '22023';
    end if;
    foreach k in array array['user_id', 'anonymous_id', 'account_id'] loop
      if e ? k and jsonb_typeof(e -> k) <> 'null'
         and (jsonb_typeof(e -> k) <> 'string' or length(e ->> k) not between 1 and 128) then
        raise exception 'invalid event batch: event %: % must be a string of 1 to 128 characters', i, k using errcode = '22023';
      end if;
    end loop;
    v_user := e ->> 'user_id';
    if v_role = 'authenticated' and v_user is not null and v_user <> v_uid then
      raise exception 'invalid event batch: event %: user_id must be the caller''s own id', i using errcode = '42501';
    end if;
    if v_role = 'anon' and v_user is not null then
      raise exception 'invalid event batch: event %: anonymous callers cannot set user_id', i using errcode = '42501';
    end if;
    if v_role <> 'authenticated' and v_user is null and (e ->> 'anonymous_id') is null then
      raise exception 'invalid event batch: event %: user_id or anonymous_id is required', i using errcode = '22023';
    end if;
    if jsonb_typeof(e -> 'occurred_at') is distinct from 'string'
       or (e ->> 'occurred_at') !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$' then
      raise exception 'invalid event batch: event %: occurred_at must be an ISO 8601 timestamp with a UTC offset', i using errcode = '22023';
    end if;
    begin
      v_at := (e ->> 'occurred_at')::timestamptz;
    exception when others then
      raise exception 'invalid event batch: event %: occurred_at is not a timestamp', i using errcode = '22023';
    end;

    -- Refused one by one: the sender's clock or content, not the batch.
    if v_at > now() + interval '1 day' or v_at < now() - interval '400 days' then
      v_rejected := v_rejected || jsonb_build_object('index', i - 1, 'id', e ->> 'id', 'code', 'out_of_window',
        'message', 'occurred_at is outside [now - 400 days, now + 1 day]');
    elsif e ? 'properties' and public.metrics_jsonb_too_deep(e -> 'properties', 32) then
      v_rejected := v_rejected || jsonb_build_object('index', i - 1, 'id', e ->> 'id', 'code', 'too_deep',
        'message', 'properties nest deeper than 32 levels');
    else
      v_ok := v_ok || i;
    end if;
  end loop;

  if cardinality(v_ok) > 0 then
    -- Keys claimed in key order (one lock order for concurrent batches); the first of an id in
    -- the batch is the one stored.
    with x as (
      select distinct on ((t.e ->> 'id')::uuid) (t.e ->> 'id')::uuid as id, t.e
      from jsonb_array_elements(p_events) with ordinality as t(e, ord)
      where t.ord = any(v_ok)
      order by (t.e ->> 'id')::uuid, t.ord
    ),
    claimed as (
      insert into public.metrics_event_ids (app, id)
      select p_app, x.id from x order by x.id
      on conflict do nothing
      returning id
    )
    insert into public.events (id, app, user_id, anonymous_id, account_id, category, name, properties, occurred_at)
    select x.id, p_app,
           case v_role when 'authenticated' then v_uid when 'anon' then null else x.e ->> 'user_id' end,
           x.e ->> 'anonymous_id', x.e ->> 'account_id', x.e ->> 'category', x.e ->> 'name',
           coalesce(x.e -> 'properties', '{}'::jsonb), (x.e ->> 'occurred_at')::timestamptz
    from x join claimed c on c.id = x.id
    on conflict do nothing;
    get diagnostics v_inserted = row_count;
  end if;

  return jsonb_build_object(
    'received', v_len,
    'inserted', v_inserted,
    'duplicates', cardinality(v_ok) - v_inserted,
    'rejected', v_rejected);
end
$$;

comment on function public.track_events(text, jsonb) is
  'Batch event intake for Supabase clients (RPC). Validates, pins user_id to auth.uid() for authenticated callers, refuses out-of-window or too deeply nested events one by one.';

revoke execute on function public.track_events(text, jsonb) from public;
grant execute on function public.track_events(text, jsonb) to anon, authenticated, service_role;
