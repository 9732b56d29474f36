-- Billing ledger spine (@org/billing-ledger): the Stripe event inbox, a mirror of the Stripe
-- objects the ledger uses, and MRR intervals per subscription item.
--
-- Ordering guard: every mirror row carries the version it was written from as
-- (src_at, src_rank, src_event): the Stripe event's `created`, a rank of the object's lifecycle
-- (so a same-second `canceled` beats `active`) and the event id as the last tie-break. A write
-- applies only when its version is greater, so any order of delivery, with duplicates, ends in
-- the state of the greatest version. Backfills write with src_event = '' at the time observed.
--
-- Service role writes (bypasses RLS); admins read through `public.is_admin()` policies.

create table public.stripe_events (
  id text primary key check (id ~ '^evt_'),
  type text not null,
  api_version text,
  created_at timestamptz not null,
  livemode boolean not null default false,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  -- pending: waiting for a worker; processed / ignored: done; failed: last attempt failed, a retry
  -- is scheduled; dead: no attempts left (replayable).
  status text not null default 'pending' check (status in ('pending', 'processed', 'ignored', 'failed', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  last_error text,
  processed_at timestamptz,
  job_id uuid
);

comment on table public.stripe_events is 'Inbox of Stripe webhook events, unique on the Stripe event id; raw payload kept.';
create index stripe_events_status_received on public.stripe_events (status, received_at);
create index stripe_events_type_created on public.stripe_events (type, created_at);

create table public.stripe_customers (
  id text primary key,
  email text,
  name text,
  currency text,
  deleted boolean not null default false,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);

create table public.stripe_products (
  id text primary key,
  name text,
  active boolean,
  deleted boolean not null default false,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);

create table public.stripe_prices (
  id text primary key,
  product_id text,
  currency text not null,
  unit_amount bigint,
  type text,
  billing_scheme text,
  tiers_mode text,
  tiers jsonb,
  recurring_interval text,
  recurring_interval_count integer,
  usage_type text,
  active boolean,
  deleted boolean not null default false,
  nickname text,
  lookup_key text,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);

create table public.stripe_coupons (
  id text primary key,
  percent_off numeric(7, 4),
  amount_off bigint,
  currency text,
  duration text,
  duration_in_months integer,
  deleted boolean not null default false,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);

create table public.stripe_discounts (
  id text primary key,
  customer_id text,
  subscription_id text,
  coupon_id text,
  percent_off numeric(7, 4),
  amount_off bigint,
  currency text,
  duration text,
  start_at timestamptz,
  end_at timestamptz,
  deleted boolean not null default false,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_discounts_subscription on public.stripe_discounts (subscription_id);

create table public.stripe_subscriptions (
  id text primary key,
  customer_id text not null,
  status text not null,
  currency text,
  start_date timestamptz,
  created_at timestamptz,
  trial_start timestamptz,
  trial_end timestamptz,
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  cancel_at timestamptz,
  canceled_at timestamptz,
  ended_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_subscriptions_customer on public.stripe_subscriptions (customer_id);

create table public.stripe_subscription_items (
  id text primary key,
  subscription_id text not null,
  price_id text,
  quantity bigint,
  current_period_start timestamptz,
  current_period_end timestamptz,
  raw jsonb not null
);
create index stripe_subscription_items_subscription on public.stripe_subscription_items (subscription_id);

-- Every subscription state ever applied, keyed by its version: MRR intervals are a pure function
-- of this set, so they do not depend on the order events arrived in.
create table public.stripe_subscription_versions (
  subscription_id text not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  snapshot jsonb not null,
  primary key (subscription_id, src_at, src_rank, src_event)
);

create table public.stripe_invoices (
  id text primary key,
  customer_id text,
  subscription_id text,
  status text,
  currency text not null,
  amount_due bigint,
  amount_paid bigint,
  amount_remaining bigint,
  subtotal bigint,
  total bigint,
  billing_reason text,
  period_start timestamptz,
  period_end timestamptz,
  paid_at timestamptz,
  payment_intent_id text,
  attempt_count integer,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_invoices_customer on public.stripe_invoices (customer_id);
create index stripe_invoices_created on public.stripe_invoices (created_at);

create table public.stripe_invoice_lines (
  invoice_id text not null,
  id text not null,
  amount bigint not null,
  currency text not null,
  description text,
  price_id text,
  quantity bigint,
  proration boolean not null default false,
  subscription_id text,
  subscription_item_id text,
  period_start timestamptz,
  period_end timestamptz,
  primary key (invoice_id, id)
);

create table public.stripe_payment_intents (
  id text primary key,
  customer_id text,
  invoice_id text,
  amount bigint not null,
  amount_received bigint not null default 0,
  currency text not null,
  status text not null,
  description text,
  last_error text,
  created_at timestamptz,
  -- Earliest event time at which the intent was seen succeeded (order independent: a min).
  succeeded_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_payment_intents_succeeded on public.stripe_payment_intents (currency, succeeded_at) where status = 'succeeded';
create index stripe_payment_intents_customer on public.stripe_payment_intents (customer_id);

create table public.stripe_charges (
  id text primary key,
  payment_intent_id text,
  customer_id text,
  invoice_id text,
  amount bigint not null,
  amount_captured bigint not null default 0,
  amount_refunded bigint not null default 0,
  currency text not null,
  status text not null,
  paid boolean not null default false,
  refunded boolean not null default false,
  disputed boolean not null default false,
  failure_code text,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_charges_payment_intent on public.stripe_charges (payment_intent_id);

create table public.stripe_refunds (
  id text primary key,
  charge_id text,
  payment_intent_id text,
  amount bigint not null,
  currency text not null,
  status text,
  reason text,
  created_at timestamptz not null,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_refunds_created on public.stripe_refunds (currency, created_at);
create index stripe_refunds_charge on public.stripe_refunds (charge_id);

create table public.stripe_disputes (
  id text primary key,
  charge_id text,
  payment_intent_id text,
  amount bigint not null,
  currency text not null,
  status text not null,
  reason text,
  created_at timestamptz,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);

create table public.stripe_checkout_sessions (
  id text primary key,
  customer_id text,
  mode text,
  status text,
  payment_status text,
  amount_total bigint,
  currency text,
  subscription_id text,
  payment_intent_id text,
  client_reference_id text,
  created_at timestamptz,
  metadata jsonb not null default '{}'::jsonb,
  raw jsonb not null,
  src_at timestamptz not null,
  src_rank bigint not null,
  src_event text not null,
  updated_at timestamptz not null default now()
);
create index stripe_checkout_sessions_customer on public.stripe_checkout_sessions (customer_id);

-- MRR of each subscription item over time, recomputed from stripe_subscription_versions whenever
-- a subscription (or one of its discounts) changes. MRR at an instant and daily movements are
-- set-based SQL over these rows. valid_to null = still in effect.
create table public.billing_mrr_intervals (
  subscription_id text not null,
  item_id text not null,
  customer_id text not null,
  currency text not null,
  valid_from timestamptz not null,
  valid_to timestamptz,
  mrr bigint not null check (mrr >= 0),
  primary key (subscription_id, item_id, valid_from),
  check (valid_to is null or valid_to > valid_from)
);
create index billing_mrr_intervals_currency_from on public.billing_mrr_intervals (currency, valid_from) include (valid_to, mrr, customer_id);
create index billing_mrr_intervals_currency_to on public.billing_mrr_intervals (currency, valid_to) include (valid_from, mrr, customer_id);
create index billing_mrr_intervals_customer on public.billing_mrr_intervals (customer_id, currency, valid_from);

-- Row level security: nothing for anon; admins read; the service role bypasses RLS.
do $$
declare
  t text;
begin
  foreach t in array array[
    'stripe_events', 'stripe_customers', 'stripe_products', 'stripe_prices', 'stripe_coupons',
    'stripe_discounts', 'stripe_subscriptions', 'stripe_subscription_items',
    'stripe_subscription_versions', 'stripe_invoices', 'stripe_invoice_lines',
    'stripe_payment_intents', 'stripe_charges', 'stripe_refunds', 'stripe_disputes',
    'stripe_checkout_sessions', 'billing_mrr_intervals'
  ] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('create policy %I on public.%I for select to authenticated using (public.is_admin())', t || '_admin_read', t);
  end loop;
end
$$;
