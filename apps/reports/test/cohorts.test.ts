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
    const matrix = JSON.parse(show.stdout);
    expect(matrix.cohorts).toEqual([
      {
        cohortStart: '2026-03-02',
        size: 2,
        periods: [
          { period: 0, users: 2, rate: 1 },
          { period: 1, users: 1, rate: 0.5 },
        ],
      },
      // The week of 2026-03-16 has not begun as of it: not reached, null (not 0%).
      {
        cohortStart: '2026-03-09',
        size: 1,
        periods: [
          { period: 0, users: 1, rate: 1 },
          { period: 1, users: null, rate: null },
        ],
      },
    ]);
    // Weighted by cohort size over the cohorts that reached each period: week 0 (2 + 1) / (2 + 1),
    // week 1 only the 2026-03-02 cohort, 1 / 2.
    expect(matrix.summary).toEqual([
      { period: 0, users: 3, rate: 1 },
      { period: 1, users: 1, rate: 0.5 },
    ]);
    const human = await runCli(
      ['cohorts', 'show', '--as-of', '2026-03-16', '--app', 'demo', '--cohorts', '2'],
      env,
    );
    expect(human.stdout.split('\n').slice(2, 5)).toEqual([
      '2026-03-02  2      100%  50%',
      '2026-03-09  1      100%',
      'weighted    3      100%  50%',
    ]);
    const onePeriod = await runCli(
      [
        'cohorts',
        'show',
        '--as-of',
        '2026-03-16',
        '--app',
        'demo',
        '--cohorts',
        '2',
        '--periods',
        '1',
        '--json',
      ],
      env,
    );
    expect(JSON.parse(onePeriod.stdout).summary).toEqual([{ period: 0, users: 3, rate: 1 }]);
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
