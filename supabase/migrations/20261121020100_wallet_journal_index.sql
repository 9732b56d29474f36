-- Journal position per wallet (used when a rejection records the state it was decided on).
create index if not exists wallet_transactions_wallet_id on public.wallet_transactions (wallet_id, id);
-- (wallet_id, id) serves time-ordered reads too; one index fewer on the hot insert path.
drop index if exists public.wallet_transactions_wallet_created;
