-- Admin dashboard sign-in throttling (@org/db login throttle): failed password sign-ins counted per
-- client address and per account in a fixed window; reaching the limit locks that key for a while.
-- Kept in Postgres so every instance of the dashboard shares the counts.
create table public.admin_login_failures (
  key text primary key check (length(key) between 1 and 300),
  failures integer not null check (failures > 0),
  window_started_at timestamptz not null,
  locked_until timestamptz,
  updated_at timestamptz not null
);
comment on table public.admin_login_failures is 'Failed admin sign-ins per key (ip:<address> or account:<id>) in the current window, and the lockout they caused.';
create index admin_login_failures_updated on public.admin_login_failures (updated_at);

-- The dashboard's server (service role) writes; admins may read; nobody else sees it.
alter table public.admin_login_failures enable row level security;
create policy admin_login_failures_admin_read on public.admin_login_failures for select to authenticated using (public.is_admin());
