-- Buffered ingest (@org/metrics): the HTTP ingest and the Postgres transport write batches into
-- `metrics_event_inbox`, a plain table with the events' own checks, and one drainer at a time
-- moves what is there into `events` in a single statement, so the rollup triggers run once per
-- drain instead of once per client batch. Concurrent batches then no longer contend on the
-- rollups' shared counter rows (active users and features per day), and a client's write is one
-- insert without the rollup work.
--
-- A row in the inbox is stored: the drain is one transaction (delete from the inbox + insert into
-- events), so a crash at any point leaves each row in exactly one of the two tables.

create table public.metrics_event_inbox (
  like public.events including defaults including constraints,
  seq bigint generated always as identity primary key
);
-- Duplicates of a retried batch are absorbed here as in `events` (same key).
create unique index metrics_event_inbox_event on public.metrics_event_inbox (id, occurred_at);
comment on table public.metrics_event_inbox is 'Accepted product events not yet moved into events (and its rollups) by metrics_drain_event_inbox().';
alter table public.metrics_event_inbox enable row level security;
revoke all on public.metrics_event_inbox from anon, authenticated;

-- Moves up to p_max_rows of the oldest inbox rows into events, and returns how many it moved
-- (duplicates of stored events included; they are dropped). With p_wait false it returns null
-- at once when another drain is running; with p_wait true it waits for that drain and then moves
-- whatever is left, so a caller that enqueued before calling finds its rows in events afterwards.
create or replace function public.metrics_drain_event_inbox(p_max_rows integer default 50000, p_wait boolean default true)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  moved integer;
begin
  if p_max_rows is null or p_max_rows < 1 then
    raise exception 'metrics_drain_event_inbox: p_max_rows must be >= 1, got %', p_max_rows using errcode = '22023';
  end if;
  if p_wait then
    perform pg_advisory_xact_lock(73201149, 0);
  elsif not pg_try_advisory_xact_lock(73201149, 0) then
    return null;
  end if;

  with batch as (
    delete from public.metrics_event_inbox i
    where i.seq in (select seq from public.metrics_event_inbox order by seq limit p_max_rows)
    returning i.*
  ),
  stored as (
    insert into public.events (id, app, user_id, anonymous_id, account_id, category, name, properties,
                               occurred_at, received_at, ip, user_agent, referrer)
    select id, app, user_id, anonymous_id, account_id, category, name, properties,
           occurred_at, received_at, ip, user_agent, referrer
    from batch
    order by occurred_at
    on conflict do nothing
  )
  select count(*)::int into moved from batch;
  return moved;
end
$$;

revoke execute on function public.metrics_drain_event_inbox(integer, boolean) from public, anon, authenticated;
