import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  periodIndex,
  periodStart,
  periodsReached,
  userRetention,
  weightedRetentionSummary,
} from '../src/index.ts';

// userRetention (which reads the week and month bitmap rollups, and for weeks each user's bitmap of
// weeks since their cohort) against the definition, computed here from the same users and active
// days: every granularity and mode, an as-of instant in the middle of a period, one app or all apps
// (where each (app, user) is its own subject). Users' cohort instants move after their activity is
// stored, and some of their days are deleted, as late events and repairs do.
const BASE = Date.parse('2026-02-20T00:00:00Z');
const DAY = 86_400_000;
const dayOf = (n: number) => new Date(BASE + n * DAY).toISOString().slice(0, 10);

const users = fc.uniqueArray(
  fc.record({
    app: fc.constantFrom('a', 'b'),
    user: fc.integer({ min: 1, max: 6 }),
    // cohort instant: day offset and hour
    start: fc.integer({ min: 0, max: 40 }),
    hour: fc.integer({ min: 0, max: 23 }),
    active: fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 12 }),
    // a signup stored after the activity (null: none), and how many of the days are then deleted
    signup: fc.option(fc.integer({ min: 0, max: 40 })),
    deleted: fc.integer({ min: 0, max: 3 }),
  }),
  { maxLength: 10, selector: (u) => `${u.app}/${u.user}` },
);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('userRetention', () => {
  it('equals the definition for every granularity and mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        users,
        fc.constantFrom('day' as const, 'week' as const, 'month' as const),
        fc.constantFrom('on' as const, 'on_or_after' as const),
        fc.integer({ min: 0, max: 90 }),
        fc.constantFrom<'a' | undefined>('a', undefined),
        // more weeks than the users' week bitmaps hold: the query reads the week rollup instead
        fc.boolean(),
        async (list, granularity, mode, asOfDay, app, manyPeriods) => {
          const client = await db.pool.connect();
          try {
            await client.query('begin');
            for (const u of list) {
              const at = new Date(BASE + u.start * DAY + u.hour * 3_600_000);
              await client.query(
                `insert into public.metrics_users (app, user_id, first_seen_at, signed_up_at, last_seen_at) values ($1, $2, $3, $3, $3)`,
                [u.app, `u${u.user}`, at],
              );
              if (u.active.length)
                await client.query(
                  `insert into public.metrics_user_activity_daily (app, user_id, day, events, first_at, last_at)
                   select $1, $2, d::date, 1, t, t from unnest($3::text[]) as d
                   cross join lateral (select (d::date + $4 * interval '1 hour') at time zone 'UTC' as t) x`,
                  [u.app, `u${u.user}`, u.active.map(dayOf), u.hour],
                );
            }
            for (const u of list) {
              if (u.signup !== null)
                await client.query(
                  `update public.metrics_users set signed_up_at = $3 where app = $1 and user_id = $2`,
                  [u.app, `u${u.user}`, new Date(BASE + u.signup * DAY + u.hour * 3_600_000)],
                );
              if (u.deleted > 0)
                await client.query(
                  `delete from public.metrics_user_activity_daily where app = $1 and user_id = $2 and day = any($3::date[])`,
                  [u.app, `u${u.user}`, u.active.slice(0, u.deleted).map(dayOf)],
                );
            }
            const stale = await client.query(
              `select app, user_id from public.metrics_users
               where cohort_weeks_active <> public.metrics_cohort_weeks_active(app, user_id,
                 date_trunc('week', coalesce(signed_up_at, first_seen_at) at time zone 'UTC')::date)`,
            );
            expect(stale.rows).toEqual([]);
            const from = new Date(BASE);
            const to = new Date(BASE + 45 * DAY);
            const asOf = new Date(BASE + asOfDay * DAY + 12 * 3_600_000);
            const periods = granularity === 'day' ? 10 : manyPeriods ? 70 : 4;
            const m = await userRetention(client as never, {
              granularity,
              mode,
              from,
              to,
              asOf,
              app,
              periods,
            });

            const lastDay = dayOf(asOfDay);
            const sizes = new Map<string, number>();
            const cells = new Map<string, number>();
            for (const u of list) {
              if (app !== undefined && u.app !== app) continue;
              const start = u.signup ?? u.start;
              // A cohort holds only users whose cohort instant is before the as-of instant.
              const instant = BASE + start * DAY + u.hour * 3_600_000;
              if (instant >= Math.min(to.getTime(), asOf.getTime())) continue;
              const cs = periodStart(granularity, dayOf(start));
              sizes.set(cs, (sizes.get(cs) ?? 0) + 1);
              // Active at the user's hour of each day: the as-of day (12:00) counts before noon only.
              const ks = u.active
                .slice(u.deleted)
                .map(dayOf)
                .filter((d) => d >= cs && (d < lastDay || (d === lastDay && u.hour < 12)))
                .map((d) => periodIndex(granularity, cs, d));
              const reached =
                mode === 'on'
                  ? new Set(ks)
                  : new Set(ks.length ? Array.from({ length: Math.max(...ks) + 1 }, (_, k) => k) : []);
              for (const k of reached)
                if (k < periods) cells.set(`${cs} ${k}`, (cells.get(`${cs} ${k}`) ?? 0) + 1);
            }
            expect(new Map(m.cohorts.map((c) => [c.cohortStart, c.size]))).toEqual(sizes);
            const width = Math.max(0, ...m.cohorts.map((c) => c.periods.length));
            for (const c of m.cohorts) {
              // Rectangular: a cell per period for every cohort, null where it is not reached yet.
              expect(c.periods.map((p) => p.period)).toEqual(Array.from({ length: width }, (_, k) => k));
              const reached = periodsReached(granularity, c.cohortStart, lastDay, periods);
              for (const p of c.periods)
                expect([c.cohortStart, p.period, p.users]).toEqual([
                  c.cohortStart,
                  p.period,
                  p.period < reached ? (cells.get(`${c.cohortStart} ${p.period}`) ?? 0) : null,
                ]);
            }
            // Every retained cell lies in a period the cohort has reached, so it is in the matrix.
            const shown = m.cohorts.reduce(
              (n, c) => n + c.periods.reduce((s, p) => s + (p.users ?? 0), 0),
              0,
            );
            expect(shown).toBe([...cells.values()].reduce((a, b) => a + b, 0));
            expect(m.summary).toEqual(weightedRetentionSummary(m.cohorts));
          } finally {
            await client.query('rollback');
            client.release();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
