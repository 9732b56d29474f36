-- Stripe backfill runs and their per-resource cursors, so an interrupted backfill resumes where it
-- stopped. A page's objects and its cursor commit in one transaction.

create table public.stripe_backfill_runs (
  id bigint generated always as identity primary key,
  -- The instant the run observed Stripe at (the created-window end, and the ordering time of its writes).
  as_of timestamptz not null,
  days integer not null check (days > 0),
  status text not null default 'running' check (status in ('running', 'completed', 'failed')),
  last_error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);

create table public.stripe_backfill_cursors (
  run_id bigint not null references public.stripe_backfill_runs (id),
  resource text not null,
  -- Last object id of the last committed page (Stripe `starting_after`); null before the first page.
  cursor text,
  done boolean not null default false,
  inserted integer not null default 0,
  updated integer not null default 0,
  skipped integer not null default 0,
  errors integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (run_id, resource)
);

alter table public.stripe_backfill_runs enable row level security;
alter table public.stripe_backfill_cursors enable row level security;
create policy stripe_backfill_runs_admin_read on public.stripe_backfill_runs for select to authenticated using (public.is_admin());
create policy stripe_backfill_cursors_admin_read on public.stripe_backfill_cursors for select to authenticated using (public.is_admin());
