import type pg from 'pg';
import { withTransaction } from './connect.ts';

/**
 * Throttling of admin sign-ins, shared by every instance of the dashboard through Postgres
 * (`admin_login_throttle`, migration 20261207400000). It slows guessing down without ever locking
 * anyone out: each key may fail a few times freely, then every further attempt waits an
 * exponentially growing delay (base, 2 x base, 4 x base, ... capped at `maxDelaySeconds`). While a
 * key waits, attempts for it are refused before the password is checked; once the wait is over the
 * next attempt is checked again, so the right password always gets in after at most the cap.
 *
 * Keys: the client address (`ip`), the account (`account`: `admin`, or the email on Supabase), and
 * a browser that signed in before (`device`, from a signed cookie the dashboard verifies). An
 * attempt from a known browser is counted against that browser only, so guessing from elsewhere
 * (which delays the account) never delays the owner's own browser.
 *
 * An attempt is charged as a failure when it starts (one transaction, rows locked), and a success
 * clears the keys it was charged to: concurrent guesses cannot share one allowed attempt.
 */
export interface LoginThrottleLimits {
  /** Failed sign-ins from one address before each further attempt waits. */
  perIp: number;
  /** Failed sign-ins for one account (from any address, known browsers aside) before each further attempt waits. */
  perAccount: number;
  /** Failed sign-ins from one known browser before each further attempt waits. */
  perDevice: number;
  /** The first wait; each further failure doubles it. */
  baseDelaySeconds: number;
  /** The longest wait. */
  maxDelaySeconds: number;
  /** A key with no failure for this long starts from zero again (at least `maxDelaySeconds`). */
  forgetAfterSeconds: number;
}

export const defaultLoginThrottleLimits: LoginThrottleLimits = {
  perIp: 5,
  perAccount: 20,
  perDevice: 5,
  baseDelaySeconds: 1,
  maxDelaySeconds: 15 * 60,
  forgetAfterSeconds: 24 * 60 * 60,
};

export interface LoginSubject {
  /** Client address (as the dashboard determines it); null when unknown. */
  ip: string | null;
  /** Account identifier: `admin` for the password login, the lower-cased email on Supabase. */
  account: string;
  /**
   * Id of a known browser (a verified cookie from an earlier successful sign-in to this account):
   * the attempt is counted against this browser instead of its address and the account.
   */
  device?: string | null;
}

export type LoginScope = 'ip' | 'account' | 'device';

export type LoginAttempt =
  | { allowed: true }
  | { allowed: false; scope: LoginScope; retryAfterSeconds: number; until: Date };

const scopeOf = (key: string): LoginScope =>
  key.startsWith('ip:') ? 'ip' : key.startsWith('device:') ? 'device' : 'account';

/** The keys an attempt is counted against, sorted (one lock order for concurrent attempts). */
export function loginThrottleKeys(s: LoginSubject): string[] {
  const keys = s.device
    ? [`device:${s.device.slice(0, 200)}`]
    : [...(s.ip ? [`ip:${s.ip.slice(0, 200)}`] : []), `account:${s.account.slice(0, 200)}`];
  return keys.sort();
}

/**
 * The wait before the next attempt after `failures` failures of a key that may fail `free` times:
 * 0 below `free`, then base, 2 x base, 4 x base, ... up to the cap. Pure.
 */
export function loginDelaySeconds(failures: number, free: number, limits: LoginThrottleLimits): number {
  if (failures < free) return 0;
  const doublings = Math.min(failures - free, 40);
  return Math.min(limits.baseDelaySeconds * 2 ** doublings, limits.maxDelaySeconds);
}

const freeFailures = (key: string, limits: LoginThrottleLimits) => {
  const scope = scopeOf(key);
  return scope === 'ip' ? limits.perIp : scope === 'device' ? limits.perDevice : limits.perAccount;
};

interface Row {
  key: string;
  failures: number;
  last_failure_at: Date | null;
  next_attempt_at: Date;
}

/**
 * Starts a sign-in attempt: refused (with the longest remaining wait of its keys) while any of its
 * keys waits; otherwise counted as a failure of every key now, which `clearLoginFailures` undoes
 * when the password turns out right.
 */
export async function beginLoginAttempt(
  pool: pg.Pool,
  subject: LoginSubject,
  now: Date,
  limits: LoginThrottleLimits = defaultLoginThrottleLimits,
): Promise<LoginAttempt> {
  const keys = loginThrottleKeys(subject);
  const forgetMs = Math.max(limits.forgetAfterSeconds, limits.maxDelaySeconds) * 1000;
  return withTransaction(pool, async (client) => {
    await client.query(
      `insert into public.admin_login_throttle (key, failures, next_attempt_at, updated_at)
       select k, 0, $2, $2 from unnest($1::text[]) as k order by k
       on conflict (key) do nothing`,
      [keys, now],
    );
    const { rows } = await client.query<Row>(
      `select key, failures, last_failure_at, next_attempt_at from public.admin_login_throttle
       where key = any($1::text[]) order by key for update`,
      [keys],
    );
    let wait: { key: string; until: Date } | undefined;
    for (const r of rows)
      if (r.next_attempt_at > now && (!wait || r.next_attempt_at > wait.until))
        wait = { key: r.key, until: r.next_attempt_at };
    if (wait)
      return {
        allowed: false,
        scope: scopeOf(wait.key),
        until: wait.until,
        retryAfterSeconds: Math.max(1, Math.ceil((wait.until.getTime() - now.getTime()) / 1000)),
      };
    const charged = rows.map((r) => {
      const forgotten = !r.last_failure_at || now.getTime() - r.last_failure_at.getTime() >= forgetMs;
      const failures = (forgotten ? 0 : r.failures) + 1;
      const delay = loginDelaySeconds(failures, freeFailures(r.key, limits), limits);
      return { key: r.key, failures, next: new Date(now.getTime() + delay * 1000) };
    });
    await client.query(
      `update public.admin_login_throttle as t
       set failures = c.failures, last_failure_at = $2, next_attempt_at = c.next, updated_at = $2
       from unnest($1::text[], $3::int[], $4::timestamptz[]) as c(key, failures, next)
       where t.key = c.key`,
      [charged.map((c) => c.key), now, charged.map((c) => c.failures), charged.map((c) => c.next)],
    );
    // Keys nobody failed with for a day go away as new attempts arrive (index on updated_at);
    // rows another attempt holds are left for a later sweep.
    await client.query(
      `delete from public.admin_login_throttle where key in (
         select key from public.admin_login_throttle
         where updated_at < $1 and key <> all($2::text[])
         limit 1000 for update skip locked)`,
      [new Date(now.getTime() - forgetMs), keys],
    );
    return { allowed: true };
  });
}

/** Whether an attempt would be refused right now (read only; `beginLoginAttempt` decides). */
export async function loginThrottleState(
  db: pg.Pool | pg.ClientBase,
  subject: LoginSubject,
  now: Date,
): Promise<LoginAttempt> {
  const { rows } = await db.query<{ key: string; next_attempt_at: Date }>(
    `select key, next_attempt_at from public.admin_login_throttle
     where key = any($1::text[]) and next_attempt_at > $2 order by next_attempt_at desc limit 1`,
    [loginThrottleKeys(subject), now],
  );
  const r = rows[0];
  if (!r) return { allowed: true };
  return {
    allowed: false,
    scope: scopeOf(r.key),
    until: r.next_attempt_at,
    retryAfterSeconds: Math.max(1, Math.ceil((r.next_attempt_at.getTime() - now.getTime()) / 1000)),
  };
}

/** After a successful sign-in: the keys the attempt was counted against start from zero. */
export async function clearLoginFailures(db: pg.Pool | pg.ClientBase, subject: LoginSubject): Promise<void> {
  await db.query('delete from public.admin_login_throttle where key = any($1::text[])', [
    loginThrottleKeys(subject),
  ]);
}
