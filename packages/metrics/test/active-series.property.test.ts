import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeUsersSeries, addDays } from '../src/index.ts';

// The running-sum series against the definition: distinct users active on the day, in the 7 and
// in the 30 days ending on it, on small random activity sets (two apps, so a user can be active
// in both on the same day).
const BASE = '2026-03-01';
const activity = fc.uniqueArray(
  fc.record({
    app: fc.constantFrom('a', 'b'),
    user: fc.integer({ min: 1, max: 4 }),
    day: fc.integer({ min: 0, max: 45 }),
  }),
  { maxLength: 80, selector: (r) => `${r.app}/${r.user}/${r.day}` },
);

function naive(
  rows: { app: string; user: number; day: number }[],
  app: string | undefined,
  d0: number,
  d1: number,
) {
  const mine = rows.filter((r) => app === undefined || r.app === app);
  const distinct = (lo: number, hi: number) =>
    new Set(mine.filter((r) => r.day > lo && r.day <= hi).map((r) => r.user)).size;
  const out = [];
  for (let d = d0; d <= d1; d++)
    out.push({
      day: addDays(BASE, d),
      dau: distinct(d - 1, d),
      wau: distinct(d - 7, d),
      mau: distinct(d - 30, d),
    });
  return out;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('activeUsersSeries', () => {
  it('equals the naive windowed distinct counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        activity,
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom<'a' | undefined>('a', undefined),
        async (rows, start, length, app) => {
          const client = await db.pool.connect();
          try {
            await client.query('begin');
            await client.query(
              `insert into public.metrics_user_activity_daily (app, user_id, day, events, first_at, last_at)
               select a, 'u' || u, $4::date + d, 1, now(), now() from unnest($1::text[], $2::int[], $3::int[]) as t(a, u, d)`,
              [rows.map((r) => r.app), rows.map((r) => r.user), rows.map((r) => r.day), BASE],
            );
            const from = new Date(`${addDays(BASE, start)}T00:00:00Z`);
            const to = new Date(`${addDays(BASE, start + length)}T00:00:00Z`);
            const series = await activeUsersSeries(client as never, { from, to, app });
            expect(series).toEqual(naive(rows, app, start, start + length - 1));
          } finally {
            await client.query('rollback');
            client.release();
          }
        },
      ),
      {
        numRuns: 80,
        // The same user on the same day in both apps, counted once across apps.
        examples: [
          [
            [
              { app: 'a', user: 1, day: 5 },
              { app: 'b', user: 1, day: 5 },
              { app: 'b', user: 1, day: 9 },
            ],
            0,
            12,
            undefined,
          ],
        ],
      },
    );
  });
});
