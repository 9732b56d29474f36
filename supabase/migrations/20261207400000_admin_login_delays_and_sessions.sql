-- Admin dashboard sign-in, second version (@org/db login throttle and admin sessions).
--
-- Throttling slows guessing down instead of locking keys out: every key (client address, account,
-- known browser) may fail a few times, then each further attempt waits an exponentially growing
-- delay. Attempts are charged when they start, so concurrent guesses cannot share an allowed one.
create table public.admin_login_throttle (
  key text primary key check (length(key) between 1 and 300),
  failures integer not null check (failures >= 0),
  last_failure_at timestamptz,
  next_attempt_at timestamptz not null,
  updated_at timestamptz not null
);
comment on table public.admin_login_throttle is 'Admin sign-in attempts per key (ip:<address>, account:<id>, device:<id>): failures since the last success and when the next attempt may start.';
create index admin_login_throttle_updated on public.admin_login_throttle (updated_at);
alter table public.admin_login_throttle enable row level security;
-- Only the dashboard's server role reads and writes; the API roles get nothing.
revoke all on table public.admin_login_throttle from anon, authenticated;

-- The lockout table of the first version: counts in it are a few minutes old at most.
drop table public.admin_login_failures;

-- Password-login sessions, so signing out ends a session on the server: a session cookie is valid
-- only while its row exists (signing out deletes it). Holds a SHA-256 of the session id, never the id.
create table public.admin_sessions (
  id_hash bytea primary key check (length(id_hash) = 32),
  account text not null check (length(account) between 1 and 320),
  created_at timestamptz not null,
  expires_at timestamptz not null check (expires_at > created_at)
);
comment on table public.admin_sessions is 'Signed-in admin dashboard sessions (password login); a row per session, deleted at sign-out.';
create index admin_sessions_expires on public.admin_sessions (expires_at);
alter table public.admin_sessions enable row level security;
revoke all on table public.admin_sessions from anon, authenticated;
