-- Concurrent writers of events serialised on the rollups that every batch updates: the same
-- (scope, day, gap) rows of the active-user gaps, the same (scope, day, name) event counts and the
-- same feature gaps. A batch's upsert waits for the row lock of every other batch in flight, until
-- that batch commits, so batches ran one at a time after their first such upsert (bench: 4
-- concurrent batches of 1,000 events spent half their time waiting on each other's transactions).
--
-- These three tables hold signed deltas that every reader sums, so a key may as well be spread
-- over rows: each backend now adds to its own shard of the key (backend pid mod 8), and concurrent
-- batches from different connections no longer touch the same rows. A single writer keeps one row
-- per key; readers sum at most 8.
do $do$
declare
  t record;
  fn record;
  rewritten int := 0;
begin
  for t in
    select * from (values
      ('metrics_active_gaps', 'app, day, gap'),
      ('metrics_feature_gaps', 'app, category, name, day, gap'),
      ('metrics_event_counts_daily', 'app, day, category, name')
    ) v(name, key)
  loop
    execute format('alter table public.%I add column shard smallint not null default 0', t.name);
    execute format('alter table public.%I alter column shard set default (pg_backend_pid() %% 8)', t.name);
    execute format('alter table public.%I drop constraint %I', t.name, t.name || '_pkey');
    execute format('alter table public.%I add primary key (%s, shard)', t.name, t.key);
    execute format('comment on column public.%I.shard is %L', t.name,
      'The writing backend''s shard of the key (pid mod 8): readers sum over shards.');

    -- Every function that upserts the table by its old key now upserts its own shard's row.
    for fn in
      select p.oid, pg_get_functiondef(p.oid) as def
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.prosrc like '%on conflict (' || t.key || ')%'
    loop
      execute replace(fn.def, 'on conflict (' || t.key || ')', 'on conflict (' || t.key || ', shard)');
      rewritten := rewritten + 1;
    end loop;
  end loop;
  if rewritten < 4 or exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and (p.prosrc like '%on conflict (app, day, gap)%' or p.prosrc like '%on conflict (app, category, name, day, gap)%'
           or p.prosrc like '%on conflict (app, day, category, name)%')
  ) then
    raise exception 'metrics rollup shards: % functions rewritten, some still upsert by the unsharded key', rewritten;
  end if;
end
$do$;
