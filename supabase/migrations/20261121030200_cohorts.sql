-- Cohorts (@org/cohorts): the ledger's MRR intervals seen per customer (the only ledger
-- dependency), and pre-computed retention tables written by an idempotent refresh.

-- Customer MRR over time: summing the rows that cover an instant gives the customer's MRR then.
-- security_invoker: callers see only what the ledger's own RLS lets them see.
create view public.cohort_mrr_intervals with (security_invoker = true) as
  select customer_id, currency, valid_from, valid_to, mrr from public.billing_mrr_intervals;

comment on view public.cohort_mrr_intervals is 'Per customer: valid_from, valid_to (null = open), mrr in minor units, currency. Read by @org/cohorts.';

create table public.cohort_user_retention (
  app text not null,
  granularity text not null check (granularity in ('day', 'week', 'month')),
  mode text not null check (mode in ('on', 'on_or_after')),
  cohort_start date not null,
  period integer not null check (period >= 0),
  cohort_size integer not null check (cohort_size >= 0),
  retained integer not null check (retained >= 0 and retained <= cohort_size),
  as_of timestamptz not null,
  refreshed_at timestamptz not null default now(),
  primary key (app, granularity, mode, cohort_start, period)
);

create table public.cohort_revenue_retention (
  currency text not null,
  cohort_month date not null,
  month_offset integer not null check (month_offset >= 0),
  customers integer not null,
  start_mrr bigint not null,
  mrr bigint not null,
  capped_mrr bigint not null,
  churned_customers integer not null,
  as_of timestamptz not null,
  refreshed_at timestamptz not null default now(),
  primary key (currency, cohort_month, month_offset)
);

create table public.cohort_refresh_runs (
  id bigint generated always as identity primary key,
  as_of timestamptz not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  changed_rows integer not null default 0,
  unchanged_rows integer not null default 0,
  deleted_rows integer not null default 0
);

do $$
declare
  t text;
begin
  foreach t in array array['cohort_user_retention', 'cohort_revenue_retention', 'cohort_refresh_runs'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('create policy %I on public.%I for select to authenticated using (public.is_admin())', t || '_admin_read', t);
  end loop;
end
$$;
