import type { Pool, PoolClient } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activationRate,
  activeUsers,
  addDays,
  coreActionSuccessRate,
  featureUsage,
  funnel,
  insertEvents,
  stickiness,
  topUsers,
} from '../src/index.ts';
import { ev } from './support.ts';

// The trigger-maintained rollups (active-user gaps, month bitmaps, feature gaps, event counts)
// against the definitions computed here from the same events. Events arrive in random batches,
// in time order or not, in two apps, from users and anonymous visitors; queries run for one app
// and for all apps.
const BASE = '2026-03-01';
const NAMES = ['enrichment_started', 'export_created', 'page_viewed', 'user_signed_up'] as const;
const event = fc.record({
  app: fc.constantFrom('a', 'b'),
  user: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null, freq: 5 }),
  anon: fc.integer({ min: 1, max: 2 }),
  name: fc.constantFrom(...NAMES),
  day: fc.integer({ min: 0, max: 24 }),
  minute: fc.integer({ min: 0, max: 1439 }),
});
type Ev = {
  app: 'a' | 'b';
  user: number | null;
  anon: number;
  name: (typeof NAMES)[number];
  day: number;
  minute: number;
};

const categoryOf = (name: string) =>
  name === 'page_viewed' ? 'navigation' : name === 'user_signed_up' ? 'lifecycle' : 'feature';
const minuteOf = (e: Ev) => e.day * 1440 + e.minute;
const subjectOf = (e: Ev) => (e.user === null ? `anon:x${e.anon}` : `u${e.user}`);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function load(client: PoolClient, events: Ev[], batches: number[], sorted: boolean) {
  const list = sorted
    ? [...events].sort((x, y) => x.day * 1440 + x.minute - (y.day * 1440 + y.minute))
    : events;
  let i = 0;
  for (const size of [...batches, list.length]) {
    const chunk = list.slice(i, i + size);
    i += size;
    for (const app of ['a', 'b'] as const) {
      const mine = chunk.filter((e) => e.app === app);
      if (mine.length === 0) continue;
      await insertEvents(
        client,
        app,
        mine.map((e) =>
          ev(
            e.user === null ? null : `u${e.user}`,
            e.name,
            new Date(Date.parse(`${addDays(BASE, e.day)}T00:00:00Z`) + e.minute * 60_000).toISOString(),
            categoryOf(e.name),
            e.user === null ? { anonymousId: `x${e.anon}` } : {},
          ),
        ),
      );
    }
    if (i >= list.length) break;
  }
}

describe('KPI rollups', () => {
  it('answer as the definitions over the raw events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 10, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 15 }), { maxLength: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 15 }),
        fc.constantFrom<'a' | undefined>('a', undefined),
        async (events, batches, sorted, start, length, app) => {
          const client = await db.pool.connect();
          await client.query('begin');
          try {
            const pool = client as unknown as Pool;
            await load(client, events as Ev[], batches, sorted);
            const mine = (events as Ev[]).filter((e) => app === undefined || e.app === app);
            const from = addDays(BASE, start);
            const to = addDays(BASE, start + length);
            const range = { from: new Date(`${from}T00:00:00Z`), to: new Date(`${to}T00:00:00Z`), app };
            const inRange = mine.filter((e) => e.day >= start && e.day < start + length);

            // Feature usage and core-action counts.
            const features = new Map<string, { events: number; users: Set<string> }>();
            for (const e of inRange.filter((x) => categoryOf(x.name) === 'feature')) {
              const f = features.get(e.name) ?? { events: 0, users: new Set<string>() };
              f.events++;
              f.users.add(subjectOf(e));
              features.set(e.name, f);
            }
            const expected = [...features.entries()]
              .map(([name, f]) => ({ name, events: f.events, users: f.users.size }))
              .sort((x, y) => y.events - x.events || (x.name < y.name ? -1 : 1));
            expect(await featureUsage(pool, range)).toEqual(expected);
            const core = await coreActionSuccessRate(pool, {
              ...range,
              completed: 'export_created',
              failed: 'enrichment_started',
            });
            expect([core.completed, core.failed]).toEqual([
              inRange.filter((e) => e.name === 'export_created').length,
              inRange.filter((e) => e.name === 'enrichment_started').length,
            ]);

            // Active users (users only; every category here counts as activity).
            const active = mine.filter((e) => e.user !== null);
            const distinct = (lo: number, hi: number) =>
              new Set(active.filter((e) => e.day >= lo && e.day <= hi).map((e) => e.user)).size;
            const last = start + length - 1;
            expect(await activeUsers(pool, { asOf: range.to, app })).toEqual({
              day: addDays(BASE, last),
              dau: distinct(last, last),
              wau: distinct(last - 6, last),
              mau: distinct(last - 29, last),
            });

            // Each user's first active day, whatever order the batches came in.
            const firstDays = new Map<string, string>();
            for (const e of events as Ev[])
              if (e.user !== null) {
                const key = `${e.app}/u${e.user}`;
                const day = addDays(BASE, e.day);
                if (!firstDays.has(key) || day < firstDays.get(key)!) firstDays.set(key, day);
              }
            const { rows: stored } = await client.query<{ key: string; day: string }>(
              `select app || '/' || user_id as key, to_char(first_active_day, 'YYYY-MM-DD') as day
               from public.metrics_users order by 1`,
            );
            expect(stored).toEqual(
              [...firstDays.entries()]
                .sort((x, y) => (x[0] < y[0] ? -1 : 1))
                .map(([key, day]) => ({ key, day })),
            );

            // Each user's weeks since their cohort's week (signup, else first event), which weekly
            // retention reads: rebuilt when a late batch moves the cohort to another week.
            const mondayOf = (day: number) => day - (((day % 7) + 6) % 7); // BASE is a Sunday
            const cohortWeeks = new Map<string, bigint>();
            for (const key of firstDays.keys()) {
              const own = (events as Ev[]).filter((e) => e.user !== null && `${e.app}/u${e.user}` === key);
              const signups = own.filter((e) => e.name === 'user_signed_up');
              const cohortDay = Math.floor(
                Math.min(...(signups.length ? signups : own).map(minuteOf)) / 1440,
              );
              let bits = 0n;
              for (const e of own) {
                const k = (mondayOf(e.day) - mondayOf(cohortDay)) / 7;
                if (k >= 0) bits |= 1n << BigInt(k);
              }
              cohortWeeks.set(key, bits);
            }
            const { rows: weeks } = await client.query<{ key: string; bits: string }>(
              `select app || '/' || user_id as key, cohort_weeks_active::text as bits from public.metrics_users order by 1`,
            );
            expect(weeks).toEqual(
              [...cohortWeeks.entries()]
                .sort((x, y) => (x[0] < y[0] ? -1 : 1))
                .map(([key, bits]) => ({ key, bits: String(bits) })),
            );

            // Days-active distribution over the 30 days ending on the last day.
            const days = new Map<number, Set<number>>();
            for (const e of active.filter((x) => x.day > last - 30 && x.day <= last)) {
              const s = days.get(e.user!) ?? new Set<number>();
              s.add(e.day);
              days.set(e.user!, s);
            }
            const buckets = new Map<number, number>();
            for (const s of days.values()) buckets.set(s.size, (buckets.get(s.size) ?? 0) + 1);
            const s = await stickiness(pool, { asOf: range.to, app });
            expect(s.daysActiveDistribution).toEqual(
              [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([d, users]) => ({ days: d, users })),
            );
            const userDays = [...days.values()].reduce((n, d) => n + d.size, 0);
            expect(s.averageDau30).toBe(Math.round((userDays / 30) * 100) / 100);
            expect(await stickiness(pool, { asOf: range.to, app, distribution: false })).toEqual({
              ...s,
              daysActiveDistribution: [],
            });

            // Top users: active days, then events, then id.
            const per = new Map<string, { days: Set<number>; events: number; last: number }>();
            for (const e of active.filter((x) => x.day >= start && x.day <= last)) {
              const u = per.get(`u${e.user}`) ?? { days: new Set<number>(), events: 0, last: -1 };
              u.days.add(e.day);
              u.events++;
              u.last = Math.max(u.last, e.day);
              per.set(`u${e.user}`, u);
            }
            const top = [...per.entries()]
              .map(([userId, u]) => ({
                userId,
                accountId: null,
                activeDays: u.days.size,
                events: u.events,
                lastActiveDay: addDays(BASE, u.last),
              }))
              .sort(
                (x, y) =>
                  y.activeDays - x.activeDays || y.events - x.events || (x.userId < y.userId ? -1 : 1),
              )
              .slice(0, 3);
            expect(await topUsers(pool, { ...range, limit: 3 })).toEqual(top);

            // Funnel (3-day window; the first-event shortcut and the probes) and activation.
            const steps = ['page_viewed', 'enrichment_started', 'export_created'] as const;
            const byUser = new Map<string, Ev[]>();
            for (const e of active) byUser.set(`u${e.user}`, [...(byUser.get(`u${e.user}`) ?? []), e]);
            const reached = [0, 0, 0];
            const dts: number[][] = [[], [], []];
            for (const list of byUser.values()) {
              const firsts = list
                .filter((e) => e.name === steps[0] && e.day >= start && e.day <= last)
                .map(minuteOf);
              if (firsts.length === 0) continue;
              const t1 = Math.min(...firsts);
              let t = t1;
              reached[0]!++;
              for (let k = 1; k < 3; k++) {
                const next = list
                  .filter((e) => e.name === steps[k] && minuteOf(e) > t && minuteOf(e) < t1 + 3 * 1440)
                  .map(minuteOf);
                if (next.length === 0) break;
                const tk = Math.min(...next);
                dts[k]!.push((tk - t) * 60);
                t = tk;
                reached[k]!++;
              }
            }
            const median = (xs: number[]) => {
              if (xs.length === 0) return null;
              const v = [...xs].sort((a, b) => a - b);
              const m = (v.length - 1) / 2;
              return (v[Math.floor(m)]! + v[Math.ceil(m)]!) / 2;
            };
            const f = await funnel(pool, { ...range, steps: [...steps], windowDays: 3 });
            expect(f.map((x) => [x.users, x.medianSecondsFromPrevious])).toEqual([
              [reached[0], null],
              [reached[1], median(dts[1]!)],
              [reached[2], median(dts[2]!)],
            ]);

            // Activation: (app, user) pairs signed up in the range with a feature event within 2 days.
            const pairs = new Map<string, Ev[]>();
            for (const e of active)
              pairs.set(`${e.app}/${e.user}`, [...(pairs.get(`${e.app}/${e.user}`) ?? []), e]);
            let signedUp = 0;
            let activated = 0;
            for (const list of pairs.values()) {
              const signups = list.filter((e) => e.name === 'user_signed_up').map(minuteOf);
              if (signups.length === 0) continue;
              const at = Math.min(...signups);
              if (at < start * 1440 || at >= (last + 1) * 1440) continue;
              signedUp++;
              const end = Math.min(at + 2 * 1440, (last + 1) * 1440);
              if (
                list.some((e) => categoryOf(e.name) === 'feature' && minuteOf(e) >= at && minuteOf(e) < end)
              )
                activated++;
            }
            expect(await activationRate(pool, { ...range, windowDays: 2 })).toMatchObject({
              signedUp,
              activated,
            });
          } finally {
            await client.query('rollback');
            client.release();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 180_000);
});

describe('KPI rollup locks', () => {
  const heldAdvisoryLocks = async (client: PoolClient) =>
    Number(
      (
        await client.query<{ n: string }>(
          `select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`,
        )
      ).rows[0]!.n,
    );

  it('lock each subject of a statement within the budget, and a constant number for one over it', async () => {
    const client = await db.pool.connect();
    await client.query('begin');
    try {
      const pool = client as unknown as Pool;
      const at = (day: number) => `${addDays(BASE, day)}T12:00:00Z`;
      const view = (user: string, day: number) => ev(user, 'page_viewed', at(day), 'navigation');
      await insertEvents(client, 'a', [view('s1', 0), view('s2', 0)]);
      // One shared statement lock and one per subject.
      expect(await heldAdvisoryLocks(client)).toBe(3);
      await client.query('rollback');

      // The budget: a 32nd of the server's lock table, at least 512 subjects.
      const { rows: settings } = await client.query<{ budget: number }>(
        `select greatest(512, current_setting('max_locks_per_transaction')::int
           * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int) / 32) as budget`,
      );
      const budget = settings[0]!.budget;
      await client.query('begin');
      await insertEvents(
        client,
        'a',
        Array.from({ length: budget }, (_, i) => view(`within${i}`, 0)),
      );
      expect(await heldAdvisoryLocks(client)).toBe(budget + 1);
      await client.query('rollback');

      await client.query('begin');
      const users = Array.from({ length: Math.max(3000, budget + 1) }, (_, i) => `bulk${i}`);
      await insertEvents(
        client,
        'a',
        users.flatMap((u, i) => [view(u, 1), ev(u, 'export_created', at(2 + (i % 3)))]),
      );
      expect(await heldAdvisoryLocks(client)).toBe(1);
      // The rollups are as complete as after small batches.
      expect(
        await activeUsers(pool, { asOf: new Date(`${addDays(BASE, 2)}T00:00:00Z`), app: 'a' }),
      ).toMatchObject({
        dau: users.length,
        wau: users.length,
      });
      expect(
        await featureUsage(pool, {
          from: new Date(`${BASE}T00:00:00Z`),
          to: new Date(`${addDays(BASE, 5)}T00:00:00Z`),
          app: 'a',
        }),
      ).toEqual([{ name: 'export_created', events: users.length, users: users.length }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  }, 60_000);
});

describe('KPI rollup plans', () => {
  it('replan the rollup triggers when a session goes from small to large statements and back', async () => {
    const client = await db.pool.connect();
    try {
      const plannedFor = async () =>
        (
          await client.query<{ v: string | null }>(
            `select current_setting('metrics.rollup_plan_rows', true) as v`,
          )
        ).rows[0]!.v;
      const at = `${addDays(BASE, 8)}T12:00:00Z`;
      const batch = (n: number, tag: string) =>
        Array.from({ length: n }, (_, i) => ev(`${tag}${i}`, 'page_viewed', at, 'navigation'));
      // A pooled session may have written before: start it as a new one would.
      await client.query(`select set_config('metrics.rollup_plan_rows', '', false)`);
      await insertEvents(client, 'plans', batch(10, 'p'));
      expect(await plannedFor()).toBe('10');
      // Within 4x: the plans made for 10 rows are kept.
      await insertEvents(client, 'plans', batch(30, 'q'));
      expect(await plannedFor()).toBe('10');
      await insertEvents(client, 'plans', batch(5000, 'r'));
      expect(await plannedFor()).toBe('5000');
      await insertEvents(client, 'plans', batch(20, 's'));
      expect(await plannedFor()).toBe('20');
      expect(
        (
          await activeUsers(client as unknown as Pool, {
            asOf: new Date(`${addDays(BASE, 9)}T00:00:00Z`),
            app: 'plans',
          })
        ).dau,
      ).toBe(5060);
    } finally {
      client.release();
    }
  }, 60_000);
});
