import type pg from 'pg';

/**
 * Throttling of failed admin sign-ins, shared by every instance of the dashboard through Postgres
 * (`admin_login_failures`, migration 20261122050000). Failures are counted per key in a fixed
 * window; the failure that reaches a key's limit locks it for `lockoutSeconds`. While a key is
 * locked, sign-ins for it are refused before the password is checked. A successful sign-in clears
 * the counts of its address and account.
 *
 * Keys: the client address (`ip`) and the account (`account`: the admin, or the email on Supabase).
 * The per-address limit stops one client guessing; the (higher) per-account limit stops guessing
 * spread over many addresses.
 */
export interface LoginThrottleLimits {
  /** Failed sign-ins from one address within the window before it is locked. */
  perIp: number;
  /** Failed sign-ins for one account within the window before it is locked. */
  perAccount: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export const defaultLoginThrottleLimits: LoginThrottleLimits = {
  perIp: 5,
  perAccount: 20,
  windowSeconds: 15 * 60,
  lockoutSeconds: 15 * 60,
};

export interface LoginSubject {
  /** Client address (as the dashboard determines it); null when unknown. */
  ip: string | null;
  /** Account identifier: `admin` for the password login, the lower-cased email on Supabase. */
  account: string;
}

export type LoginThrottleState =
  | { locked: false }
  | { locked: true; scope: 'ip' | 'account'; retryAfterSeconds: number; until: Date };

const keysOf = (s: LoginSubject) => ({
  ip: s.ip ? `ip:${s.ip.slice(0, 200)}` : null,
  account: `account:${s.account.slice(0, 200)}`,
});

function state(rows: { key: string; locked_until: Date | null }[], now: Date): LoginThrottleState {
  let worst: { key: string; until: Date } | undefined;
  for (const r of rows)
    if (r.locked_until && r.locked_until > now && (!worst || r.locked_until > worst.until))
      worst = { key: r.key, until: r.locked_until };
  if (!worst) return { locked: false };
  return {
    locked: true,
    scope: worst.key.startsWith('ip:') ? 'ip' : 'account',
    until: worst.until,
    retryAfterSeconds: Math.max(1, Math.ceil((worst.until.getTime() - now.getTime()) / 1000)),
  };
}

/** Whether a sign-in for this address or account is refused right now. */
export async function loginThrottleState(
  db: pg.Pool | pg.ClientBase,
  subject: LoginSubject,
  now: Date,
): Promise<LoginThrottleState> {
  const k = keysOf(subject);
  const { rows } = await db.query<{ key: string; locked_until: Date | null }>(
    'select key, locked_until from public.admin_login_failures where key = any($1::text[]) and locked_until > $2',
    [[k.ip, k.account].filter(Boolean), now],
  );
  return state(rows, now);
}

/**
 * Counts one failed sign-in for the address and the account (one statement, safe under concurrent
 * sign-ins) and returns the lock this failure caused or extended, if any.
 */
export async function recordLoginFailure(
  db: pg.Pool | pg.ClientBase,
  subject: LoginSubject,
  now: Date,
  limits: LoginThrottleLimits = defaultLoginThrottleLimits,
): Promise<LoginThrottleState> {
  const k = keysOf(subject);
  const keys = [k.account, k.ip].filter((x): x is string => x !== null);
  const caps = keys.map((key) => (key.startsWith('ip:') ? limits.perIp : limits.perAccount));
  const { rows } = await db.query<{ key: string; locked_until: Date | null }>(
    `with input as (
       select * from unnest($1::text[], $2::int[]) as i(key, cap)
     ),
     upserted as (
       insert into public.admin_login_failures as f (key, failures, window_started_at, locked_until, updated_at)
       select key, 1, $3, case when cap <= 1 then $3::timestamptz + make_interval(secs => $5) end, $3
       from input order by key
       on conflict (key) do update set
         failures = case when f.window_started_at <= $3::timestamptz - make_interval(secs => $4) then 1 else f.failures + 1 end,
         window_started_at = case when f.window_started_at <= $3::timestamptz - make_interval(secs => $4) then $3 else f.window_started_at end,
         locked_until = case
           when (case when f.window_started_at <= $3::timestamptz - make_interval(secs => $4) then 1 else f.failures + 1 end)
                >= (select cap from input where input.key = f.key)
           then $3::timestamptz + make_interval(secs => $5)
           else f.locked_until end,
         updated_at = $3
       returning f.key, f.locked_until
     ),
     -- Old rows go away as new failures arrive (cheap: index on updated_at).
     swept as (
       delete from public.admin_login_failures
       where updated_at < $3::timestamptz - make_interval(secs => greatest($4, $5) + 86400)
         and key <> all($1::text[])
     )
     select key, locked_until from upserted`,
    [keys, caps, now, limits.windowSeconds, limits.lockoutSeconds],
  );
  return state(rows, now);
}

/** After a successful sign-in: the address and the account start from zero. */
export async function clearLoginFailures(db: pg.Pool | pg.ClientBase, subject: LoginSubject): Promise<void> {
  const k = keysOf(subject);
  await db.query('delete from public.admin_login_failures where key = any($1::text[])', [
    [k.ip, k.account].filter(Boolean),
  ]);
}
