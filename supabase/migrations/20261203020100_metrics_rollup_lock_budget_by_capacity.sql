-- The rollup triggers' per-subject advisory locks (20261203010000) switch to one exclusive lock
-- above 512 subjects per statement. With that fixed budget, batches of 1,000 users from concurrent
-- writers ran one at a time: the Postgres transport's 4 concurrent batches of 1,000 events stored
-- 4,643 events/s on 2 cores; with per-subject locks for them, 7,351 events/s (bench, 200k events).
--
-- The budget now follows the server's lock table (max_locks_per_transaction x (max_connections +
-- max_prepared_transactions) slots): a statement may hold a 32nd of it, at least 512. That is
-- 2,400 subjects with the embedded server's settings (256 x 300) and the old 512 with Postgres'
-- defaults (64 x 100), where the table is too small for more.
create or replace function public.metrics_lock_subjects(subject_hashes int[]) returns void
language plpgsql
set search_path = ''
as $$
declare
  budget constant integer := greatest(
    512,
    current_setting('max_locks_per_transaction')::integer
      * (current_setting('max_connections')::integer + current_setting('max_prepared_transactions')::integer)
      / 32
  );
begin
  if cardinality(subject_hashes) > budget then
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
