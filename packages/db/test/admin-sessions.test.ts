import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminSessionAccount,
  createAdminSession,
  revokeAdminSession,
  revokeAdminSessions,
} from '../src/admin-sessions.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

const t0 = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('admin sessions', () => {
  it('a session is live until it expires or is revoked, and only its hash is stored', async () => {
    const s = await createAdminSession(db.pool, { account: 'admin', now: at(0), ttlSeconds: 600 });
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.expiresAt).toEqual(at(600));
    expect(await adminSessionAccount(db.pool, s.id, at(599))).toBe('admin');
    expect(await adminSessionAccount(db.pool, s.id, at(600))).toBeNull();
    expect(await adminSessionAccount(db.pool, `${s.id}x`, at(1))).toBeNull();
    const { rows } = await db.pool.query<{ stored: string }>(
      'select encode(id_hash, $1) as stored from public.admin_sessions',
      ['escape'],
    );
    expect(rows.some((r) => r.stored.includes(s.id))).toBe(false);

    const other = await createAdminSession(db.pool, { account: 'admin', now: at(1), ttlSeconds: 600 });
    await revokeAdminSession(db.pool, s.id);
    expect(await adminSessionAccount(db.pool, s.id, at(2))).toBeNull();
    // Signing out one session leaves the others; revoking again is harmless.
    expect(await adminSessionAccount(db.pool, other.id, at(2))).toBe('admin');
    await revokeAdminSession(db.pool, s.id);
    expect(await revokeAdminSessions(db.pool, 'admin')).toBe(1);
    expect(await adminSessionAccount(db.pool, other.id, at(2))).toBeNull();
  });

  it('expired sessions are swept when new ones start', async () => {
    await createAdminSession(db.pool, { account: 'sweep@example.test', now: at(0), ttlSeconds: 10 });
    await createAdminSession(db.pool, { account: 'sweep@example.test', now: at(20), ttlSeconds: 10 });
    const { rows } = await db.pool.query(
      `select count(*)::int as n from public.admin_sessions where account = 'sweep@example.test'`,
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('the API roles can neither read nor change sessions or sign-in counts', async () => {
    for (const table of ['admin_sessions', 'admin_login_throttle']) {
      const { rows } = await db.pool.query<{ p: string }>(
        `select privilege_type as p from information_schema.role_table_grants
         where table_schema = 'public' and table_name = $1 and grantee in ('anon', 'authenticated')`,
        [table],
      );
      expect(rows, table).toEqual([]);
    }
  });
});
