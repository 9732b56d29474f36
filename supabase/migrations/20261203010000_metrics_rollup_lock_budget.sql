-- The rollup triggers serialise concurrent batches of one subject with one advisory lock per
-- distinct subject of the statement. A statement over many subjects (a bulk load, a backfill, a
-- repair) then needs more locks than the server's lock table holds ("out of shared memory";
-- 64 x max_connections slots by default). Above a per-statement budget a statement instead takes
-- one exclusive lock that every smaller statement takes shared: it waits for the running batches
-- and runs alone, with a constant number of locks.
create or replace function public.metrics_lock_subjects(subject_hashes int[]) returns void
language plpgsql
set search_path = ''
as $$
begin
  if cardinality(subject_hashes) > 512 then
    perform pg_advisory_xact_lock(73201148, 0);
  else
    perform pg_advisory_xact_lock_shared(73201148, 0);
    -- In the array's (sorted) order, so two batches never wait on each other crosswise.
    perform pg_advisory_xact_lock(73201147, u.h)
    from unnest(subject_hashes) with ordinality as u(h, i)
    order by u.i;
  end if;
end
$$;

revoke execute on function public.metrics_lock_subjects(int[]) from public, anon, authenticated;

-- Every rollup trigger function that took its subjects' locks one by one now calls the function
-- above with the same sorted, distinct hashes. Rewritten from the installed definitions, so the
-- rest of each function stays exactly as its own migration defines it.
do $do$
declare
  fn record;
  rewritten int := 0;
  lock_pattern constant text :=
    'perform pg_advisory_xact_lock\(73201147, k\.h\)\s+from \((select distinct .*? order by 1)\) k;';
begin
  for fn in
    select p.oid, pg_get_functiondef(p.oid) as def
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prosrc like '%pg_advisory_xact_lock(73201147, k.h)%'
  loop
    execute regexp_replace(fn.def, lock_pattern, 'perform public.metrics_lock_subjects(array(\1));', 'g');
    rewritten := rewritten + 1;
  end loop;
  if rewritten = 0 or exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prosrc like '%pg_advisory_xact_lock(73201147, k.h)%'
  ) then
    raise exception 'metrics rollup lock rewrite: % functions rewritten, some still lock per subject', rewritten;
  end if;
end
$do$;
