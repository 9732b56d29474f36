import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../src/testing.ts';

describe('test databases', () => {
  it('are migrated clones, isolated from each other, and gone after drop', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      const migrated = await a.pool.query(`select count(*)::int as n from org_migrations.applied`);
      expect(migrated.rows[0].n).toBeGreaterThan(0);
      await a.pool.query(
        `insert into public.fx_rates (base_currency, quote_currency, rate_date, rate) values ('eur','usd','2026-01-01',1.1)`,
      );
      const inB = await b.pool.query('select count(*)::int as n from public.fx_rates');
      expect(inB.rows[0].n).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
    const probe = await createTestDatabase();
    try {
      const { rows } = await probe.pool.query(
        'select count(*)::int as n from pg_database where datname = any($1)',
        [[a.name, b.name]],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await probe.drop();
    }
  });
});
