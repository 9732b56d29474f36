import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(undefined, { empty: true });
});
afterAll(() => db.drop());

const user = '6f1c1f7e-0000-4e1e-9d5f-1b2f3c4d5e6f';

async function asRole(role: string, claims: object | null, sql: string) {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    if (claims)
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    const { rows } = await client.query(sql);
    await client.query('rollback');
    return rows[0];
  } finally {
    client.release();
  }
}

describe('Supabase bootstrap on plain Postgres', () => {
  it('is applied once, then skipped because auth.uid() exists', async () => {
    const first = await migrate(db.pool);
    expect(first.bootstrapped).toBe(true);
    const second = await migrate(db.pool);
    expect(second.bootstrapped).toBe(false);
    const { rows } = await db.pool.query(
      `select rolname, rolbypassrls from pg_roles where rolname in ('anon','authenticated','service_role') order by 1`,
    );
    expect(rows).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
  });

  it('reads the caller from request.jwt.claims under SET ROLE authenticated, as Supabase does', async () => {
    const row = await asRole(
      'authenticated',
      { sub: user, role: 'authenticated', email: 'a@example.com', app_metadata: { role: 'admin' } },
      "select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'sub' as sub, public.is_admin() as admin, current_user as who",
    );
    expect(row).toEqual({
      uid: user,
      role: 'authenticated',
      email: 'a@example.com',
      sub: user,
      admin: true,
      who: 'authenticated',
    });
  });

  it('gives null identity without claims and honours the legacy single-claim setting', async () => {
    expect(
      await asRole('anon', null, 'select auth.uid() as uid, auth.role() as role, public.is_admin() as admin'),
    ).toEqual({
      uid: null,
      role: null,
      admin: false,
    });
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('request.jwt.claim.sub', $1, true)`, [user]);
      const { rows } = await client.query('select auth.uid() as uid');
      expect(rows[0].uid).toBe(user);
      await client.query('rollback');
    } finally {
      client.release();
    }
  });

  it('rejects a malformed sub instead of guessing an identity', async () => {
    await expect(asRole('authenticated', { sub: 'not-a-uuid' }, 'select auth.uid()')).rejects.toThrow(
      /invalid input syntax for type uuid/,
    );
  });
});
