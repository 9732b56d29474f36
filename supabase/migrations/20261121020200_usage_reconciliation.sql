-- Usage records from metered providers (one row per provider record, idempotent on its id), how
-- each was recorded (its webhook, or the daily reconciliation against the provider's API), and the
-- wallet deduction it caused. Plus one row per reconciliation run with the webhook reliability.

create table public.usage_records (
  provider text not null check (length(provider) between 1 and 100),
  external_id text not null check (length(external_id) between 1 and 300),
  owner_id text not null,
  currency text not null check (currency ~ '^[a-z]{3}$'),
  -- What the usage costs, in minor units (deducted from the owner's wallet).
  cost bigint not null check (cost >= 0),
  quantity numeric,
  occurred_at timestamptz not null,
  source text not null check (source in ('webhook', 'reconciled')),
  wallet_id uuid references public.wallets (id),
  wallet_transaction_id bigint references public.wallet_transactions (id),
  -- applied | rejected (debt limit) | no_wallet | free (cost 0)
  deduction_status text not null check (deduction_status in ('applied', 'rejected', 'no_wallet', 'free')),
  metadata jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now(),
  primary key (provider, external_id)
);

create index usage_records_provider_time on public.usage_records (provider, occurred_at);

create table public.usage_reconciliation_runs (
  id bigint generated always as identity primary key,
  provider text not null,
  range_start timestamptz not null,
  range_end timestamptz not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  provider_records integer not null default 0,
  recorded_by_webhook integer not null default 0,
  already_reconciled integer not null default 0,
  reconciled integer not null default 0,
  -- recorded_by_webhook / provider_records (null when the provider had no records)
  reliability numeric(6, 5),
  alerted boolean not null default false,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  check (range_end > range_start)
);

create index usage_reconciliation_runs_provider on public.usage_reconciliation_runs (provider, range_start desc);

alter table public.usage_records enable row level security;
alter table public.usage_reconciliation_runs enable row level security;
create policy usage_records_admin_read on public.usage_records for select to authenticated using (public.is_admin());
create policy usage_reconciliation_runs_admin_read on public.usage_reconciliation_runs for select to authenticated using (public.is_admin());
