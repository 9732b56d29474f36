import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProductFixture } from './product-fixture.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadProductFixture(db.pool);
  env = { DATABASE_URL: db.url };
});
afterAll(() => db.drop());

describe('org-reports cohorts', () => {
  it('refreshes idempotently and shows the stored weekly matrix', async () => {
    const first = await runCli(
      ['cohorts', 'refresh', '--as-of', '2026-03-16', '--app', 'demo', '--json'],
      env,
    );
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).changed).toBeGreaterThan(0);
    const again = await runCli(
      ['cohorts', 'refresh', '--as-of', '2026-03-16', '--app', 'demo', '--json'],
      env,
    );
    expect(JSON.parse(again.stdout).changed).toBe(0);
    const show = await runCli(
      ['cohorts', 'show', '--as-of', '2026-03-16', '--app', 'demo', '--cohorts', '2', '--json'],
      env,
    );
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).cohorts).toEqual([
      {
        cohortStart: '2026-03-02',
        size: 2,
        periods: [
          { period: 0, users: 2, rate: 1 },
          { period: 1, users: 1, rate: 0.5 },
        ],
      },
      { cohortStart: '2026-03-09', size: 1, periods: [{ period: 0, users: 1, rate: 1 }] },
    ]);
    const human = await runCli(
      ['cohorts', 'show', '--as-of', '2026-03-16', '--app', 'demo', '--cohorts', '2'],
      env,
    );
    expect(human.stdout).toContain('2026-03-02  2      100%  50%');
  });

  it('shows revenue cohorts and refuses bad flags', async () => {
    const revenue = await runCli(
      ['cohorts', 'show', '--kind', 'revenue', '--as-of', '2026-03-16', '--json'],
      env,
    );
    expect(revenue.code).toBe(0);
    expect(JSON.parse(revenue.stdout)).toMatchObject({ kind: 'revenue', cohorts: [] });
    expect((await runCli(['cohorts', 'show', '--granularity', 'year'], env)).code).toBe(64);
    expect((await runCli(['cohorts', 'refresh', '--as-of', 'soon'], env)).code).toBe(64);
  });
});
