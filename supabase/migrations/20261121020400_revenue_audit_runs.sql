-- Results of scheduled (and recorded) revenue audits, for the dashboard and for alert history.
create table public.revenue_audit_runs (
  id bigint generated always as identity primary key,
  month text not null check (month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  verdict text not null check (verdict in ('PASS', 'WARN', 'FAIL')),
  high integer not null,
  medium integer not null,
  low integer not null,
  report jsonb not null,
  ran_at timestamptz not null default now()
);

create index revenue_audit_runs_month on public.revenue_audit_runs (month, ran_at desc);

alter table public.revenue_audit_runs enable row level security;
create policy revenue_audit_runs_admin_read on public.revenue_audit_runs for select to authenticated using (public.is_admin());
