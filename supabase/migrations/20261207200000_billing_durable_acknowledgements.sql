-- Rows that acknowledge something to someone commit durably, whatever the server, database, role
-- or caller says. A Stripe event in the inbox (Stripe never resends an event it got a 2xx for), a
-- wallet journal transaction or rejection (the caller was told its balance), a usage record, a
-- recharge claim, an opened wallet: a transaction that writes one of them commits with
-- `synchronous_commit = on`, so the commit returns only once it is flushed to disk.
--
-- A statement trigger sets it for the rest of the writing transaction (`set_config(..., true)`
-- outlives the trigger function: only the function's own SET clause, `search_path`, is restored
-- at its exit). That covers every writer in one place: the webhook's single-statement insert
-- (no extra round trip for BEGIN/SET/COMMIT), `wallet_deduct*` called over RPC, a processing
-- transaction that credits a top-up after `set local synchronous_commit = off`, and tools writing
-- SQL directly. Derived, redoable work (mirror tables, MRR intervals, inbox status updates) keeps
-- whatever its transaction asked for.

create or replace function public.billing_durable_commit() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  perform pg_catalog.set_config('synchronous_commit', 'on', true);
  return null;
end
$$;

comment on function public.billing_durable_commit() is
  'Statement trigger: the writing transaction commits with synchronous_commit = on (acknowledged rows survive a server crash).';

revoke all on function public.billing_durable_commit() from public, anon, authenticated;

create trigger stripe_events_durable_commit after insert on public.stripe_events
  for each statement execute function public.billing_durable_commit();
create trigger wallets_durable_commit after insert on public.wallets
  for each statement execute function public.billing_durable_commit();
create trigger wallet_transactions_durable_commit after insert on public.wallet_transactions
  for each statement execute function public.billing_durable_commit();
create trigger wallet_rejections_durable_commit after insert on public.wallet_rejections
  for each statement execute function public.billing_durable_commit();
create trigger wallet_recharges_durable_commit after insert or update on public.wallet_recharges
  for each statement execute function public.billing_durable_commit();
create trigger wallet_checkout_sessions_durable_commit after insert on public.wallet_checkout_sessions
  for each statement execute function public.billing_durable_commit();
create trigger usage_records_durable_commit after insert on public.usage_records
  for each statement execute function public.billing_durable_commit();
