import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * Server-side records of the admin dashboard's password-login sessions (`admin_sessions`, migration
 * 20261207400000). The dashboard's cookie carries a signed session id; the session is valid only
 * while its row exists and has not expired, so signing out (deleting the row) ends it everywhere the
 * cookie was copied to. Rows hold a SHA-256 of the id: reading the table does not yield cookies.
 */
export interface AdminSession {
  /** The secret session id, for the cookie (base64url, 32 random bytes). */
  id: string;
  expiresAt: Date;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest();

/** Records a new session for `account` valid for `ttlSeconds` from `now`; sweeps expired ones. */
export async function createAdminSession(
  db: pg.Pool | pg.ClientBase,
  input: { account: string; now: Date; ttlSeconds: number },
): Promise<AdminSession> {
  const id = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000);
  await db.query(
    `with swept as (delete from public.admin_sessions where expires_at <= $4)
     insert into public.admin_sessions (id_hash, account, created_at, expires_at) values ($1, $2, $4, $3)`,
    [hashOf(id), input.account, expiresAt, input.now],
  );
  return { id, expiresAt };
}

/** The account of a live session (recorded, not signed out, not expired at `now`), or null. */
export async function adminSessionAccount(
  db: pg.Pool | pg.ClientBase,
  id: string,
  now: Date,
): Promise<string | null> {
  const { rows } = await db.query<{ account: string }>(
    'select account from public.admin_sessions where id_hash = $1 and expires_at > $2',
    [hashOf(id), now],
  );
  return rows[0]?.account ?? null;
}

/** Ends a session (sign-out). Ending an unknown or already ended session is not an error. */
export async function revokeAdminSession(db: pg.Pool | pg.ClientBase, id: string): Promise<void> {
  await db.query('delete from public.admin_sessions where id_hash = $1', [hashOf(id)]);
}

/** Ends every session of an account (e.g. after a password change); returns how many ended. */
export async function revokeAdminSessions(db: pg.Pool | pg.ClientBase, account: string): Promise<number> {
  const { rowCount } = await db.query('delete from public.admin_sessions where account = $1', [account]);
  return rowCount ?? 0;
}
