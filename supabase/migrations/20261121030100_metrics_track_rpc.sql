-- track_events(): the entry point for browsers and edge functions through Supabase (PostgREST RPC).
-- SECURITY DEFINER with an empty search_path; validates the whole batch before inserting anything;
-- for `authenticated` every event's user_id is the caller's auth.uid(), for `anon` it is null.
-- occurred_at must be an ISO 8601 timestamp with an offset (Postgres also accepts words such as 'yesterday').

create or replace function public.track_events(p_app text, p_events jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
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
  v_inserted integer;
begin
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
    if v_at > now() + interval '1 day' or v_at < now() - interval '400 days' then
      raise exception 'invalid event batch: event %: occurred_at is outside [now - 400 days, now + 1 day]', i using errcode = '22023';
    end if;
  end loop;

  insert into public.events (id, app, user_id, anonymous_id, account_id, category, name, properties, occurred_at)
  select (x ->> 'id')::uuid, p_app,
         case v_role when 'authenticated' then v_uid when 'anon' then null else x ->> 'user_id' end,
         x ->> 'anonymous_id', x ->> 'account_id', x ->> 'category', x ->> 'name',
         coalesce(x -> 'properties', '{}'::jsonb), (x ->> 'occurred_at')::timestamptz
  from jsonb_array_elements(p_events) as t(x)
  on conflict do nothing;
  get diagnostics v_inserted = row_count;
  return jsonb_build_object('received', v_len, 'inserted', v_inserted);
end
$$;

comment on function public.track_events(text, jsonb) is
  'Batch event intake for Supabase clients (RPC). Validates, pins user_id to auth.uid() for authenticated callers.';

revoke execute on function public.track_events(text, jsonb) from public;
grant execute on function public.track_events(text, jsonb) to anon, authenticated, service_role;
