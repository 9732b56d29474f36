import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProductFixture } from './product-fixture.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadProductFixture(db.pool);
});
afterAll(() => db.drop());

describe('org-reports kpis', () => {
  it('prints the product KPIs of a period as JSON', async () => {
    const run = await runCli(
      [
        'kpis',
        '--as-of',
        '2026-03-13',
        '--days',
        '14',
        '--app',
        'demo',
        '--funnel',
        'user_signed_up,enrichment_started,enrichment_completed',
        '--json',
      ],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(run.code).toBe(0);
    const k = JSON.parse(run.stdout);
    expect(k.activeUsers).toEqual({ day: '2026-03-12', dau: 1, wau: 2, mau: 3 });
    expect(k.users).toEqual({ total: 3, new: 3 });
    expect(k.activation).toMatchObject({ signedUp: 3, activated: 3, rate: 1 });
    expect(k.funnel.map((s: { users: number }) => s.users)).toEqual([3, 3, 1]);
    expect(k.features[0]).toEqual({ name: 'enrichment_started', events: 3, users: 3 });
  });

  it('prints a human summary and refuses bad flags', async () => {
    const run = await runCli(['kpis', '--as-of', '2026-03-13'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('DAU 1  WAU 2  MAU 3');
    expect((await runCli(['kpis', '--days', '0'], { DATABASE_URL: db.url })).code).toBe(64);
    expect((await runCli(['kpis', '--funnel', 'only_one'], { DATABASE_URL: db.url })).code).toBe(64);
  });
});
