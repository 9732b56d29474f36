import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { insertEvents } from '@org/metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodIndex, periodStart, periodsReached, userRetention } from '../src/index.ts';

// userRetention as of an instant inside a day, against METRICS.md evaluated here over the raw
// events: the as-of day counts only its events before the instant, and a cohort holds no user
// whose cohort instant (first signup, else first event) is at or after it. Events are stored
// through the real ingest (so the rollups are the triggers' own), on a half-hour grid shared with
// the as-of instant, many of them on the as-of day; `system` events are not activity.
const BASE = Date.parse('2026-02-20T00:00:00Z');
const DAY = 86_400_000;
const SLOT = 1_800_000;
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const NAMES = ['user_signed_up', 'page_viewed', 'export_created', 'heartbeat'] as const;
type Name = (typeof NAMES)[number];
const categoryOf = (n: Name) =>
  n === 'user_signed_up'
    ? 'lifecycle'
    : n === 'page_viewed'
      ? 'navigation'
      : n === 'heartbeat'
        ? 'system'
        : 'feature';

const fields = {
  app: fc.constantFrom<'a' | 'b'>('a', 'b'),
  user: fc.integer({ min: 1, max: 5 }),
  name: fc.constantFrom(...NAMES),
  slot: fc.integer({ min: 0, max: 47 }),
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('userRetention as of an instant inside a day', () => {
  it('counts the as-of day up to the instant, for every granularity and mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ...fields, day: fc.integer({ min: 0, max: 70 }) }), {
          minLength: 3,
          maxLength: 40,
        }),
        fc.array(fc.record(fields), { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 75 }),
        fc.integer({ min: 1, max: 47 }),
        fc.constantFrom('day' as const, 'week' as const, 'month' as const),
        fc.constantFrom('on' as const, 'on_or_after' as const),
        fc.constantFrom<'a' | undefined>('a', undefined),
        // more weeks than the users' week bitmaps hold: the week rollup instead
        fc.boolean(),
        async (spread, onAsOfDay, asOfDayN, asOfSlot, granularity, mode, app, manyPeriods) => {
          const asOfMs = BASE + asOfDayN * DAY + asOfSlot * SLOT;
          const events = [
            ...spread.map((e) => ({ ...e, at: BASE + e.day * DAY + e.slot * SLOT })),
            ...onAsOfDay.map((e) => ({ ...e, at: BASE + asOfDayN * DAY + e.slot * SLOT })),
          ];
          const client = await db.pool.connect();
          try {
            await client.query('begin');
            for (const a of ['a', 'b'] as const) {
              const mine = events.filter((e) => e.app === a);
              if (mine.length)
                await insertEvents(
                  client,
                  a,
                  mine.map((e) => ({
                    id: randomUUID(),
                    name: e.name,
                    category: categoryOf(e.name),
                    userId: `u${e.user}`,
                    properties: {},
                    occurredAt: new Date(e.at).toISOString(),
                  })),
                );
            }
            const periods = granularity === 'day' ? 10 : manyPeriods ? 70 : 4;
            const to = new Date(BASE + 80 * DAY);
            const m = await userRetention(client as never, {
              granularity,
              mode,
              from: new Date(BASE),
              to,
              asOf: new Date(asOfMs),
              app,
              periods,
            });

            const lastDay = dayOf(asOfMs);
            const sizes = new Map<string, number>();
            const cells = new Map<string, number>();
            const subjects = new Set(
              events.filter((e) => app === undefined || e.app === app).map((e) => `${e.app}/${e.user}`),
            );
            for (const s of subjects) {
              const own = events.filter((e) => `${e.app}/${e.user}` === s);
              const signups = own.filter((e) => e.name === 'user_signed_up');
              const instant = Math.min(...(signups.length ? signups : own).map((e) => e.at));
              if (instant >= asOfMs) continue;
              const cs = periodStart(granularity, dayOf(instant));
              sizes.set(cs, (sizes.get(cs) ?? 0) + 1);
              const ks = own
                .filter((e) => categoryOf(e.name) !== 'system' && e.at < asOfMs && dayOf(e.at) >= cs)
                .map((e) => periodIndex(granularity, cs, dayOf(e.at)));
              const reached =
                mode === 'on'
                  ? new Set(ks)
                  : new Set(ks.length ? Array.from({ length: Math.max(...ks) + 1 }, (_, k) => k) : []);
              for (const k of reached)
                if (k < periods) cells.set(`${cs} ${k}`, (cells.get(`${cs} ${k}`) ?? 0) + 1);
            }
            expect(new Map(m.cohorts.map((c) => [c.cohortStart, c.size]))).toEqual(sizes);
            for (const c of m.cohorts) {
              const reached = periodsReached(granularity, c.cohortStart, lastDay, periods);
              for (const p of c.periods)
                expect([c.cohortStart, p.period, p.users]).toEqual([
                  c.cohortStart,
                  p.period,
                  p.period < reached ? (cells.get(`${c.cohortStart} ${p.period}`) ?? 0) : null,
                ]);
            }
          } finally {
            await client.query('rollback');
            client.release();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 240_000);
});
