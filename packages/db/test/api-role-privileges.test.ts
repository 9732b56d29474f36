import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const API_ROLES = ['anon', 'authenticated'];
const RLS_BLIND = ['TRUNCATE', 'REFERENCES', 'TRIGGER'];

describe('privileges of the browser and edge roles', () => {
  it('hold no TRUNCATE, REFERENCES or TRIGGER on any table of the schema', async () => {
    const { rows } = await db.pool.query<{ tables: number }>(
      `select count(*)::int as tables from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')`,
    );
    expect(rows[0]!.tables).toBeGreaterThan(20);
    const held = await db.pool.query(
      `select c.relname as table, r.role, p.privilege
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         cross join unnest($1::text[]) as r(role)
         cross join unnest($2::text[]) as p(privilege)
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and has_table_privilege(r.role, c.oid, p.privilege)
        order by 1, 2, 3`,
      [API_ROLES, RLS_BLIND],
    );
    expect(held.rows).toEqual([]);
  });

  it('hold none of them on a table created after the migrations either', async () => {
    await db.pool.query('create table public.created_later (id int primary key)');
    const { rows } = await db.pool.query(
      `select r.role, p.privilege, has_table_privilege(r.role, 'public.created_later', p.privilege) as held
         from unnest($1::text[]) as r(role) cross join unnest($2::text[]) as p(privilege)
        where has_table_privilege(r.role, 'public.created_later', p.privilege)`,
      [API_ROLES, RLS_BLIND],
    );
    expect(rows).toEqual([]);
    // The grants RLS does govern stay, so policies keep deciding what the roles see.
    const select = await db.pool.query(
      `select has_table_privilege('authenticated', 'public.created_later', 'SELECT') as can_select`,
    );
    expect(select.rows[0].can_select).toBe(true);
  });

  it('refuses TRUNCATE from the anon role', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local role anon');
      await expect(client.query('truncate public.stripe_events')).rejects.toThrow(/permission denied/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
