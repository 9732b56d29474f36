-- Growth reports (@org/insights) as documents: `org-reports growth` (the scheduled job, the demo,
-- an admin's "generate" on the dashboard) stores each report it builds, and the dashboard renders
-- the stored ones instead of recomputing a report on every page view.

create table public.insights_growth_reports (
  id bigint generated always as identity primary key,
  as_of timestamptz not null,
  period_days integer not null check (period_days > 0),
  -- null: all apps
  app text,
  currency text not null check (currency ~ '^[a-z]{3}$'),
  title text not null,
  headline text not null,
  narrative_source text not null check (narrative_source in ('llm', 'rules')),
  generated_at timestamptz not null default now(),
  generated_by text not null check (generated_by in ('cli', 'dashboard', 'demo')),
  report jsonb not null check (jsonb_typeof(report) = 'object')
);
comment on table public.insights_growth_reports is 'Growth reports as generated (report = the JSON of `org-reports growth --format json`).';

-- The page's lookup: the latest report for a period, and the latest reports overall.
create index insights_growth_reports_period on public.insights_growth_reports (as_of, period_days, currency, generated_at desc);
create index insights_growth_reports_generated on public.insights_growth_reports (generated_at desc);

alter table public.insights_growth_reports enable row level security;
create policy insights_growth_reports_admin_read on public.insights_growth_reports
  for select to authenticated using (public.is_admin());
