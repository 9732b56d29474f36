-- Prepaid credit wallets: one per owner (customer or organisation id) and currency, with a debt
-- limit. Money moves only through an append-only double-entry journal: every transaction's
-- entries sum to zero (checked at commit), the wallet's balance column is maintained by a trigger
-- on the journal in the same transaction, and rows are never updated or deleted (corrections are
-- new transactions). `public.wallet_deduct` and `public.wallet_credit` are the only writers the
-- package uses; each is one SQL function call that locks the wallet row, so the debt limit and
-- idempotency hold for every caller and under any concurrency.

create table public.wallets (
  id uuid primary key default gen_random_uuid(),
  owner_id text not null check (length(owner_id) between 1 and 200),
  currency text not null check (currency ~ '^[a-z]{3}$'),
  -- Minor units. Maintained by wallet_entries_apply(); equals the sum of the wallet's journal entries.
  balance bigint not null default 0,
  debt_limit bigint not null default 500 check (debt_limit >= 0),
  -- Auto-recharge: when the balance falls below the threshold, charge recharge_amount on Stripe.
  recharge_threshold bigint,
  recharge_amount bigint check (recharge_amount is null or recharge_amount > 0),
  stripe_customer_id text,
  -- Advances each time a recharge of the current cycle settles; the Stripe idempotency key of a
  -- recharge is derived from (wallet id, cycle), so one cycle can never charge twice.
  recharge_cycle integer not null default 0 check (recharge_cycle >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (owner_id, currency),
  check (balance >= -debt_limit),
  check ((recharge_threshold is null) = (recharge_amount is null))
);

comment on table public.wallets is 'Prepaid credit wallets (minor units); balance derives from public.wallet_entries.';

create table public.wallet_transactions (
  -- Journal order. Allocated while the wallet row is locked, so per wallet it is the order in
  -- which the database decided the transactions.
  id bigint generated always as identity primary key,
  wallet_id uuid not null references public.wallets (id),
  kind text not null check (kind in ('deduction', 'top_up', 'recharge', 'adjustment', 'refund')),
  idempotency_key text not null check (length(idempotency_key) between 1 and 300),
  -- Signed effect on the wallet: negative for deductions.
  amount bigint not null check (amount <> 0),
  balance_after bigint not null,
  debt_limit bigint not null,
  needs_recharge boolean not null,
  reason text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  unique (wallet_id, idempotency_key)
);

create index wallet_transactions_wallet_created on public.wallet_transactions (wallet_id, created_at);

create table public.wallet_entries (
  transaction_id bigint not null references public.wallet_transactions (id),
  entry_no smallint not null check (entry_no > 0),
  wallet_id uuid not null references public.wallets (id),
  -- 'wallet' is the customer's prepaid balance; the others are the counter accounts.
  account text not null check (account in ('wallet', 'usage', 'funding', 'adjustment')),
  amount bigint not null check (amount <> 0),
  primary key (transaction_id, entry_no)
);

create index wallet_entries_wallet on public.wallet_entries (wallet_id) where account = 'wallet';

comment on table public.wallet_entries is 'Double-entry journal lines; the entries of one transaction sum to zero.';

-- A rejected deduction is remembered under its idempotency key, so a retry of the same key returns
-- the first answer. seen_transaction_id/balance_seen record the state the decision was made on.
create table public.wallet_rejections (
  wallet_id uuid not null references public.wallets (id),
  idempotency_key text not null,
  amount bigint not null check (amount > 0),
  balance_seen bigint not null,
  debt_limit bigint not null,
  seen_transaction_id bigint,
  reason text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  primary key (wallet_id, idempotency_key)
);

-- Recharge cycles: at most one row (one Stripe charge) per wallet and cycle.
create table public.wallet_recharges (
  wallet_id uuid not null references public.wallets (id),
  cycle integer not null,
  amount bigint not null check (amount > 0),
  currency text not null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'succeeded', 'failed')),
  attempts integer not null default 0,
  stripe_idempotency_key text not null unique,
  stripe_payment_intent_id text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (wallet_id, cycle)
);

-- Top-up checkout sessions created for a wallet (or a customer + price), so a second request
-- returns the open session instead of creating another.
create table public.wallet_checkout_sessions (
  id text primary key,
  request_key text not null,
  stripe_customer_id text not null,
  wallet_id uuid references public.wallets (id),
  price_id text,
  amount bigint,
  currency text,
  url text,
  status text not null default 'open' check (status in ('open', 'complete', 'expired')),
  expires_at timestamptz,
  created_at timestamptz not null default now()
);

create unique index wallet_checkout_sessions_one_open on public.wallet_checkout_sessions (request_key) where status = 'open';

-- Journal integrity --------------------------------------------------------------------------

create or replace function public.wallet_journal_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'the wallet journal is append-only (% on %); record a correcting transaction instead', tg_op, tg_table_name
    using errcode = 'P0001';
end
$$;

create trigger wallet_transactions_append_only before update or delete on public.wallet_transactions
  for each row execute function public.wallet_journal_append_only();
create trigger wallet_transactions_no_truncate before truncate on public.wallet_transactions
  for each statement execute function public.wallet_journal_append_only();
create trigger wallet_entries_append_only before update or delete on public.wallet_entries
  for each row execute function public.wallet_journal_append_only();
create trigger wallet_entries_no_truncate before truncate on public.wallet_entries
  for each statement execute function public.wallet_journal_append_only();
create trigger wallet_rejections_append_only before update or delete on public.wallet_rejections
  for each row execute function public.wallet_journal_append_only();

-- Keeps wallets.balance equal to the journal, in the inserting transaction.
create or replace function public.wallet_entries_apply() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.account = 'wallet' then
    update public.wallets set balance = balance + new.amount, updated_at = now() where id = new.wallet_id;
  end if;
  return null;
end
$$;

create trigger wallet_entries_apply after insert on public.wallet_entries
  for each row execute function public.wallet_entries_apply();

-- At commit: every transaction has at least two entries and they sum to zero.
create or replace function public.wallet_transaction_balanced() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_sum numeric;
  v_count integer;
begin
  select coalesce(sum(e.amount), 0), count(*) into v_sum, v_count
  from public.wallet_entries e where e.transaction_id = new.id;
  if v_count < 2 or v_sum <> 0 then
    raise exception 'wallet transaction % is unbalanced: % entries summing to %', new.id, v_count, v_sum
      using errcode = '23514';
  end if;
  return null;
end
$$;

create constraint trigger wallet_transactions_balanced after insert on public.wallet_transactions
  deferrable initially deferred
  for each row execute function public.wallet_transaction_balanced();

-- Writers -------------------------------------------------------------------------------------

-- Opens (or returns) the wallet of an owner in a currency.
create or replace function public.wallet_open(
  p_owner_id text,
  p_currency text,
  p_debt_limit bigint default 500,
  p_recharge_threshold bigint default null,
  p_recharge_amount bigint default null,
  p_stripe_customer_id text default null
) returns public.wallets
language plpgsql
set search_path = ''
as $$
declare
  v public.wallets;
begin
  insert into public.wallets (owner_id, currency, debt_limit, recharge_threshold, recharge_amount, stripe_customer_id)
  values (p_owner_id, lower(p_currency), coalesce(p_debt_limit, 500), p_recharge_threshold, p_recharge_amount, p_stripe_customer_id)
  on conflict (owner_id, currency) do nothing
  returning * into v;
  if v.id is null then
    select * into v from public.wallets w where w.owner_id = p_owner_id and w.currency = lower(p_currency);
  end if;
  return v;
end
$$;

-- Deducts p_amount (> 0) from a wallet unless the balance would fall below -debt_limit.
-- status: 'applied' | 'rejected' (debt limit; balance unchanged) | 'idempotency_conflict' (the key
-- was used with another amount) | 'not_found'. A repeated key returns the first answer with
-- replayed = true and never deducts twice.
create or replace function public.wallet_deduct(
  p_wallet_id uuid,
  p_amount bigint,
  p_idempotency_key text,
  p_reason text default null,
  p_metadata jsonb default '{}'::jsonb,
  p_kind text default 'deduction'
) returns table (
  status text,
  transaction_id bigint,
  balance bigint,
  debt_capacity bigint,
  needs_recharge boolean,
  replayed boolean
)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  w public.wallets;
  t public.wallet_transactions;
  r public.wallet_rejections;
  v_last bigint;
  v_new bigint;
  v_needs boolean;
  v_account text := case when p_kind = 'adjustment' then 'adjustment' else 'usage' end;
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'deduction amount must be a positive number of minor units, got %', p_amount using errcode = '22023';
  end if;
  if p_kind not in ('deduction', 'adjustment') then
    raise exception 'deduction kind must be deduction or adjustment, got %', p_kind using errcode = '22023';
  end if;

  select * into w from public.wallets where id = p_wallet_id for update;
  if not found then
    return query select 'not_found'::text, null::bigint, null::bigint, null::bigint, null::boolean, false;
    return;
  end if;

  -- Under the lock, a committed earlier use of the key is visible (read committed, new snapshot).
  select * into t from public.wallet_transactions x where x.wallet_id = p_wallet_id and x.idempotency_key = p_idempotency_key;
  if found then
    return query select
      case when t.amount = -p_amount and t.kind = p_kind then 'applied' else 'idempotency_conflict' end,
      t.id, t.balance_after, t.balance_after + t.debt_limit, t.needs_recharge, true;
    return;
  end if;
  select * into r from public.wallet_rejections x where x.wallet_id = p_wallet_id and x.idempotency_key = p_idempotency_key;
  if found then
    return query select
      case when r.amount = p_amount then 'rejected' else 'idempotency_conflict' end,
      null::bigint, r.balance_seen, r.balance_seen + r.debt_limit,
      (w.recharge_threshold is not null and r.balance_seen < w.recharge_threshold), true;
    return;
  end if;

  v_new := w.balance - p_amount;
  if v_new < -w.debt_limit then
    select max(x.id) into v_last from public.wallet_transactions x where x.wallet_id = p_wallet_id;
    insert into public.wallet_rejections (wallet_id, idempotency_key, amount, balance_seen, debt_limit, seen_transaction_id, reason, metadata)
    values (p_wallet_id, p_idempotency_key, p_amount, w.balance, w.debt_limit, v_last, p_reason, coalesce(p_metadata, '{}'::jsonb));
    return query select 'rejected'::text, null::bigint, w.balance, w.balance + w.debt_limit,
      (w.recharge_threshold is not null and w.balance < w.recharge_threshold), false;
    return;
  end if;

  v_needs := w.recharge_threshold is not null and v_new < w.recharge_threshold;
  insert into public.wallet_transactions (wallet_id, kind, idempotency_key, amount, balance_after, debt_limit, needs_recharge, reason, metadata)
  values (p_wallet_id, p_kind, p_idempotency_key, -p_amount, v_new, w.debt_limit, v_needs, p_reason, coalesce(p_metadata, '{}'::jsonb))
  returning * into t;
  insert into public.wallet_entries (transaction_id, entry_no, wallet_id, account, amount) values
    (t.id, 1, p_wallet_id, 'wallet', -p_amount),
    (t.id, 2, p_wallet_id, v_account, p_amount);
  return query select 'applied'::text, t.id, v_new, v_new + w.debt_limit, v_needs, false;
end
$$;

-- Credits p_amount (> 0): a top-up, a settled recharge, a refund of usage or an adjustment.
-- Idempotent on the key like wallet_deduct. A 'recharge' credit with p_recharge_cycle settles that
-- cycle and opens the next one.
create or replace function public.wallet_credit(
  p_wallet_id uuid,
  p_amount bigint,
  p_idempotency_key text,
  p_kind text default 'top_up',
  p_reason text default null,
  p_metadata jsonb default '{}'::jsonb,
  p_recharge_cycle integer default null
) returns table (
  status text,
  transaction_id bigint,
  balance bigint,
  debt_capacity bigint,
  needs_recharge boolean,
  replayed boolean
)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  w public.wallets;
  t public.wallet_transactions;
  v_new bigint;
  v_needs boolean;
  v_account text := case p_kind when 'adjustment' then 'adjustment' when 'refund' then 'usage' else 'funding' end;
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'credit amount must be a positive number of minor units, got %', p_amount using errcode = '22023';
  end if;
  if p_kind not in ('top_up', 'recharge', 'adjustment', 'refund') then
    raise exception 'credit kind must be top_up, recharge, adjustment or refund, got %', p_kind using errcode = '22023';
  end if;

  select * into w from public.wallets where id = p_wallet_id for update;
  if not found then
    return query select 'not_found'::text, null::bigint, null::bigint, null::bigint, null::boolean, false;
    return;
  end if;

  select * into t from public.wallet_transactions x where x.wallet_id = p_wallet_id and x.idempotency_key = p_idempotency_key;
  if found then
    return query select
      case when t.amount = p_amount and t.kind = p_kind then 'applied' else 'idempotency_conflict' end,
      t.id, t.balance_after, t.balance_after + t.debt_limit, t.needs_recharge, true;
    return;
  end if;

  v_new := w.balance + p_amount;
  v_needs := w.recharge_threshold is not null and v_new < w.recharge_threshold;
  insert into public.wallet_transactions (wallet_id, kind, idempotency_key, amount, balance_after, debt_limit, needs_recharge, reason, metadata)
  values (p_wallet_id, p_kind, p_idempotency_key, p_amount, v_new, w.debt_limit, v_needs, p_reason, coalesce(p_metadata, '{}'::jsonb))
  returning * into t;
  insert into public.wallet_entries (transaction_id, entry_no, wallet_id, account, amount) values
    (t.id, 1, p_wallet_id, 'wallet', p_amount),
    (t.id, 2, p_wallet_id, v_account, -p_amount);

  if p_kind = 'recharge' and p_recharge_cycle is not null then
    update public.wallet_recharges set status = 'succeeded', updated_at = now()
    where wallet_id = p_wallet_id and cycle = p_recharge_cycle;
    update public.wallets set recharge_cycle = greatest(recharge_cycle, p_recharge_cycle + 1) where id = p_wallet_id;
  end if;
  return query select 'applied'::text, t.id, v_new, v_new + w.debt_limit, v_needs, false;
end
$$;

-- Claims the current recharge cycle of a wallet that is below its threshold: inserts the cycle's
-- row once (concurrent callers get created = false) and returns it. No row when no recharge is due.
create or replace function public.wallet_claim_recharge(p_wallet_id uuid)
returns table (wallet_id uuid, cycle integer, amount bigint, currency text, stripe_customer_id text, stripe_idempotency_key text, status text, attempts integer, created boolean)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  w public.wallets;
  v_created boolean := false;
begin
  select * into w from public.wallets where id = p_wallet_id for update;
  if not found or w.recharge_threshold is null or w.balance >= w.recharge_threshold then
    return;
  end if;
  insert into public.wallet_recharges (wallet_id, cycle, amount, currency, stripe_idempotency_key)
  values (w.id, w.recharge_cycle, w.recharge_amount, w.currency, 'wallet-recharge:' || w.id::text || ':' || w.recharge_cycle::text)
  on conflict do nothing;
  v_created := found;
  return query select r.wallet_id, r.cycle, r.amount, r.currency, w.stripe_customer_id, r.stripe_idempotency_key, r.status, r.attempts, v_created
    from public.wallet_recharges r where r.wallet_id = w.id and r.cycle = w.recharge_cycle;
end
$$;

-- Privileges: the service role (server code) writes; admins read; owners read their own wallet.
revoke all on function public.wallet_open(text, text, bigint, bigint, bigint, text) from public, anon, authenticated;
revoke all on function public.wallet_deduct(uuid, bigint, text, text, jsonb, text) from public, anon, authenticated;
revoke all on function public.wallet_credit(uuid, bigint, text, text, text, jsonb, integer) from public, anon, authenticated;
revoke all on function public.wallet_claim_recharge(uuid) from public, anon, authenticated;
grant execute on function public.wallet_open(text, text, bigint, bigint, bigint, text) to service_role;
grant execute on function public.wallet_deduct(uuid, bigint, text, text, jsonb, text) to service_role;
grant execute on function public.wallet_credit(uuid, bigint, text, text, text, jsonb, integer) to service_role;
grant execute on function public.wallet_claim_recharge(uuid) to service_role;

alter table public.wallets enable row level security;
alter table public.wallet_transactions enable row level security;
alter table public.wallet_entries enable row level security;
alter table public.wallet_rejections enable row level security;
alter table public.wallet_recharges enable row level security;
alter table public.wallet_checkout_sessions enable row level security;

create policy wallets_admin_read on public.wallets for select to authenticated using (public.is_admin());
create policy wallets_owner_read on public.wallets for select to authenticated using (owner_id = (select auth.uid())::text);
create policy wallet_transactions_admin_read on public.wallet_transactions for select to authenticated using (public.is_admin());
create policy wallet_transactions_owner_read on public.wallet_transactions for select to authenticated
  using (exists (select 1 from public.wallets w where w.id = wallet_id and w.owner_id = (select auth.uid())::text));
create policy wallet_entries_admin_read on public.wallet_entries for select to authenticated using (public.is_admin());
create policy wallet_rejections_admin_read on public.wallet_rejections for select to authenticated using (public.is_admin());
create policy wallet_recharges_admin_read on public.wallet_recharges for select to authenticated using (public.is_admin());
create policy wallet_checkout_sessions_admin_read on public.wallet_checkout_sessions for select to authenticated using (public.is_admin());
