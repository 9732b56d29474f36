import type { Pool } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activationRate,
  activeUsers,
  activeUsersSeries,
  addDays,
  coreActionSuccessRate,
  featureUsage,
  funnel,
  insertEvents,
  stickiness,
  topUsers,
  userCounts,
} from '../src/index.ts';
import { ev } from './support.ts';

// Every KPI as of an instant inside a UTC day, against METRICS.md evaluated here over the raw
// events: no figure counts an event at or after the as-of instant (the as-of day counts only its
// events before it), and no cohort, funnel or list holds a user whose qualifying event comes after
// it. Events fall on a half-hour grid and so does the as-of instant, so events exactly at it are
// common; part of them fall on the as-of day, before and after the instant. Two apps, users and
// anonymous visitors, a `system` event that is not activity; queries for one app and all apps.
const BASE = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const SLOT = 1_800_000;
const NAMES = ['enrichment_started', 'export_created', 'page_viewed', 'user_signed_up', 'heartbeat'] as const;
type Name = (typeof NAMES)[number];
const categoryOf = (name: Name) =>
  name === 'page_viewed'
    ? 'navigation'
    : name === 'user_signed_up'
      ? 'lifecycle'
      : name === 'heartbeat'
        ? 'system'
        : 'feature';

type Ev = { app: 'a' | 'b'; user: number | null; anon: number; name: Name; at: number };
const fields = {
  app: fc.constantFrom<'a' | 'b'>('a', 'b'),
  user: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 6 }),
  anon: fc.integer({ min: 1, max: 2 }),
  name: fc.constantFrom(...NAMES),
};
/** Events anywhere in 36 days, and events on the as-of day (`day` null), at half-hour slots. */
const spread = fc.record({
  ...fields,
  day: fc.integer({ min: 0, max: 35 }),
  slot: fc.integer({ min: 0, max: 47 }),
});
const onAsOfDay = fc.record({ ...fields, day: fc.constant(null), slot: fc.integer({ min: 0, max: 47 }) });

const dayStr = (t: number) => addDays('2026-03-01', Math.floor((t - BASE) / DAY));
const isActivity = (e: Ev) => e.user !== null && categoryOf(e.name) !== 'system';
const distinct = <T>(xs: T[]) => new Set(xs).size;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function load(pool: Pool, events: Ev[], batches: number) {
  // In a few batches in random order, as late and replayed batches arrive.
  const size = Math.ceil(events.length / batches);
  for (let i = 0; i < events.length; i += size)
    for (const app of ['a', 'b'] as const) {
      const mine = events.slice(i, i + size).filter((e) => e.app === app);
      if (mine.length)
        await insertEvents(
          pool,
          app,
          mine.map((e) =>
            ev(
              e.user === null ? null : `u${e.user}`,
              e.name,
              new Date(e.at).toISOString(),
              categoryOf(e.name),
              // users' events carry an anonymous id too (the user is the subject)
              { anonymousId: `x${e.anon}` },
            ),
          ),
        );
    }
}

/** DAU, WAU and MAU as of `end` over the active events (`day` of `end - 1 ms`). */
function activeAsOf(active: Ev[], end: number) {
  const d0 = Math.floor((end - 1) / DAY) * DAY;
  const users = (lo: number) => distinct(active.filter((e) => e.at >= lo && e.at < end).map((e) => e.user));
  return { day: dayStr(d0), dau: users(d0), wau: users(d0 - 6 * DAY), mau: users(d0 - 29 * DAY) };
}

const ratio = (num: number, den: number) => (den === 0 ? null : Math.round((num / den) * 10_000) / 10_000);
const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const v = [...xs].sort((a, b) => a - b);
  const m = (v.length - 1) / 2;
  return (v[Math.floor(m)]! + v[Math.ceil(m)]!) / 2;
};

/** A generated world: stored events, the as-of instant inside a day, a period start before it. */
interface World {
  events: Ev[];
  /** The events of the queried scope (`app`, or every app). */
  mine: Ev[];
  /** Their qualifying (activity) events. */
  active: Ev[];
  asOfMs: number;
  fromMs: number;
  asOf: Date;
  from: Date;
  /** A period end after the as-of instant (for the queries taking both). */
  laterTo: Date;
  windowDays: number;
  app: 'a' | undefined;
  pool: Pool;
}

const world = fc.record({
  spreadEvents: fc.array(spread, { minLength: 5, maxLength: 50 }),
  asOfDayEvents: fc.array(onAsOfDay, { minLength: 1, maxLength: 20 }),
  // as-of: a day and a half-hour slot other than midnight
  asOfDay: fc.integer({ min: 1, max: 36 }),
  asOfSlot: fc.integer({ min: 1, max: 47 }),
  // period start: days before the as-of day, and a slot (0 = midnight)
  back: fc.integer({ min: 0, max: 12 }),
  fromSlot: fc.constantFrom(0, 0, 1, 17, 30, 47),
  // a period end after the as-of instant, in slots
  after: fc.constantFrom(1, 20, 60, 200),
  windowDays: fc.integer({ min: 1, max: 3 }),
  app: fc.constantFrom<'a' | undefined>('a', undefined),
  batches: fc.integer({ min: 1, max: 3 }),
});

/** Runs `check` on generated worlds, each loaded into a transaction that is rolled back. */
async function forWorlds(check: (w: World) => Promise<void>, numRuns = 30) {
  await fc.assert(
    fc.asyncProperty(world, async (g) => {
      const asOfMs = BASE + g.asOfDay * DAY + g.asOfSlot * SLOT;
      const events: Ev[] = [
        ...g.spreadEvents.map((e) => ({ ...e, at: BASE + e.day * DAY + e.slot * SLOT })),
        ...g.asOfDayEvents.map((e) => ({ ...e, at: BASE + g.asOfDay * DAY + e.slot * SLOT })),
      ].map(({ app: a, user, anon, name, at }) => ({ app: a, user, anon, name, at }));
      const fromMs = Math.min(
        BASE + Math.max(0, g.asOfDay - g.back) * DAY + g.fromSlot * SLOT,
        asOfMs - SLOT,
      );
      const mine = events.filter((e) => g.app === undefined || e.app === g.app);
      const client = await db.pool.connect();
      await client.query('begin');
      try {
        const pool = client as unknown as Pool;
        await load(pool, events, g.batches);
        await check({
          events,
          mine,
          active: mine.filter(isActivity),
          asOfMs,
          fromMs,
          asOf: new Date(asOfMs),
          from: new Date(fromMs),
          laterTo: new Date(asOfMs + g.after * SLOT),
          windowDays: g.windowDays,
          app: g.app,
          pool,
        });
      } finally {
        await client.query('rollback');
        client.release();
      }
    }),
    { numRuns },
  );
}

describe('KPIs as of an instant inside a day', () => {
  it('DAU, WAU, MAU and the daily series count the as-of day up to the instant', async () => {
    await forWorlds(async ({ active, asOfMs, fromMs, asOf, from, app, pool }) => {
      expect(await activeUsers(pool, { asOf, app })).toEqual(activeAsOf(active, asOfMs));
      // Each day as of its end, the last one as of the instant.
      const series = [];
      for (let d0 = Math.floor(fromMs / DAY) * DAY; d0 < asOfMs; d0 += DAY)
        series.push(activeAsOf(active, Math.min(d0 + DAY, asOfMs)));
      expect(await activeUsersSeries(pool, { from, to: asOf, app })).toEqual(series);
    });
  }, 240_000);

  it('stickiness and the days-active distribution count the as-of day up to the instant', async () => {
    await forWorlds(async ({ active, asOfMs, asOf, app, pool }) => {
      const au = activeAsOf(active, asOfMs);
      const d0 = Math.floor(asOfMs / DAY) * DAY;
      const days = new Map<number, Set<string>>();
      for (const e of active.filter((x) => x.at >= d0 - 29 * DAY && x.at < asOfMs))
        days.set(e.user!, (days.get(e.user!) ?? new Set()).add(dayStr(e.at)));
      const userDays = [...days.values()].reduce((n, s) => n + s.size, 0);
      const buckets = new Map<number, number>();
      for (const s of days.values()) buckets.set(s.size, (buckets.get(s.size) ?? 0) + 1);
      const expected = {
        ...au,
        averageDau30: Math.round((userDays / 30) * 100) / 100,
        dauOverMau: au.mau === 0 ? null : ratio(userDays / 30, au.mau),
        dauOverWau: ratio(au.dau, au.wau),
        daysActiveDistribution: [...buckets.entries()]
          .sort((x, y) => x[0] - y[0])
          .map(([n, users]) => ({ days: n, users })),
      };
      expect(await stickiness(pool, { asOf, app })).toEqual(expected);
      expect(await stickiness(pool, { asOf, app, distribution: false })).toEqual({
        ...expected,
        daysActiveDistribution: [],
      });
    });
  }, 240_000);

  it('top users count the events of [from, to) only, either end inside a day', async () => {
    await forWorlds(async ({ active, asOfMs, fromMs, asOf, from, app, pool }) => {
      const per = new Map<string, { days: Set<string>; events: number; last: string }>();
      for (const e of active.filter((x) => x.at >= fromMs && x.at < asOfMs)) {
        const u = per.get(`u${e.user}`) ?? { days: new Set<string>(), events: 0, last: '' };
        u.days.add(dayStr(e.at));
        u.events++;
        if (dayStr(e.at) > u.last) u.last = dayStr(e.at);
        per.set(`u${e.user}`, u);
      }
      const top = [...per.entries()]
        .map(([userId, u]) => ({
          userId,
          accountId: null,
          activeDays: u.days.size,
          events: u.events,
          lastActiveDay: u.last,
        }))
        .sort((x, y) => y.activeDays - x.activeDays || y.events - x.events || (x.userId < y.userId ? -1 : 1));
      for (const limit of [1, 3])
        expect(await topUsers(pool, { from, to: asOf, app, limit })).toEqual(top.slice(0, limit));
    });
  }, 240_000);

  it('activation holds no user who signs up at or after the as-of instant', async () => {
    await forWorlds(async ({ mine, asOfMs, fromMs, asOf, from, laterTo, windowDays, app, pool }) => {
      // (app, user) pairs signed up in [from, asOf) with a feature event within the window and
      // before the as-of instant, whether the period ends at the instant or after it.
      const signupOf = new Map<string, number>();
      for (const e of mine.filter((x) => x.user !== null && x.name === 'user_signed_up')) {
        const key = `${e.app}/${e.user}`;
        signupOf.set(key, Math.min(signupOf.get(key) ?? Infinity, e.at));
      }
      let signedUp = 0;
      let activated = 0;
      for (const [key, at] of signupOf) {
        if (at < fromMs || at >= asOfMs) continue;
        signedUp++;
        const end = Math.min(at + windowDays * DAY, asOfMs);
        if (
          mine.some(
            (e) =>
              `${e.app}/${e.user}` === key && categoryOf(e.name) === 'feature' && e.at >= at && e.at < end,
          )
        )
          activated++;
      }
      for (const to of [asOf, laterTo])
        expect(
          await activationRate(pool, { from, to, asOf, app, windowDays }),
          `activation to ${to.toISOString()}`,
        ).toMatchObject({ signedUp, activated });
    });
  }, 240_000);

  it('a funnel holds no user who enters at or after the as-of instant', async () => {
    await forWorlds(async ({ mine, asOfMs, fromMs, asOf, from, laterTo, windowDays, app, pool }) => {
      // A user enters with their first step-1 event in [from, asOf); each later step strictly
      // after the previous one, within the window and before the instant.
      const steps = ['page_viewed', 'enrichment_started', 'export_created'] as const;
      const reached = [0, 0, 0];
      const dts: number[][] = [[], [], []];
      for (const user of new Set(mine.filter((e) => e.user !== null).map((e) => e.user))) {
        const own = mine.filter((e) => e.user === user);
        const firsts = own.filter((e) => e.name === steps[0] && e.at >= fromMs && e.at < asOfMs);
        if (firsts.length === 0) continue;
        const t1 = Math.min(...firsts.map((e) => e.at));
        let t = t1;
        reached[0]!++;
        for (let k = 1; k < steps.length; k++) {
          const next = own
            .filter((e) => e.name === steps[k] && e.at > t && e.at < t1 + windowDays * DAY && e.at < asOfMs)
            .map((e) => e.at);
          if (next.length === 0) break;
          const tk = Math.min(...next);
          dts[k]!.push((tk - t) / 1000);
          t = tk;
          reached[k]!++;
        }
      }
      for (const to of [asOf, laterTo]) {
        const f = await funnel(pool, { from, to, asOf, app, steps: [...steps], windowDays });
        expect(
          f.map((x) => [x.users, x.medianSecondsFromPrevious]),
          `funnel to ${to.toISOString()}`,
        ).toEqual([
          [reached[0], null],
          [reached[1], median(dts[1]!)],
          [reached[2], median(dts[2]!)],
        ]);
      }
    });
  }, 240_000);

  it('feature usage, core-action counts and user counts cover [from, to) only', async () => {
    await forWorlds(async ({ mine, asOfMs, fromMs, asOf, from, app, pool }) => {
      const inPeriod = mine.filter((e) => e.at >= fromMs && e.at < asOfMs);
      const features = new Map<string, { events: number; subjects: Set<string> }>();
      for (const e of inPeriod.filter((x) => categoryOf(x.name) === 'feature')) {
        const f = features.get(e.name) ?? { events: 0, subjects: new Set<string>() };
        f.events++;
        f.subjects.add(e.user === null ? `anon:${e.anon}` : `u${e.user}`);
        features.set(e.name, f);
      }
      expect(await featureUsage(pool, { from, to: asOf, app })).toEqual(
        [...features.entries()]
          .map(([name, f]) => ({ name, events: f.events, users: f.subjects.size }))
          .sort((x, y) => y.events - x.events || (x.name < y.name ? -1 : 1)),
      );
      const core = await coreActionSuccessRate(pool, {
        from,
        to: asOf,
        app,
        completed: 'export_created',
        failed: 'enrichment_started',
      });
      expect([core.completed, core.failed]).toEqual([
        inPeriod.filter((e) => e.name === 'export_created').length,
        inPeriod.filter((e) => e.name === 'enrichment_started').length,
      ]);

      // Cohort instant: first signup, else first event, per app and user; across apps a user
      // counts once.
      const firstOf = new Map<string, number>();
      const signupOf = new Map<string, number>();
      for (const e of mine.filter((x) => x.user !== null)) {
        const key = `${e.app}/${e.user}`;
        firstOf.set(key, Math.min(firstOf.get(key) ?? Infinity, e.at));
        if (e.name === 'user_signed_up') signupOf.set(key, Math.min(signupOf.get(key) ?? Infinity, e.at));
      }
      const instants = new Map<string, number[]>();
      for (const [key, first] of firstOf) {
        const user = key.split('/')[1]!;
        instants.set(user, [...(instants.get(user) ?? []), signupOf.get(key) ?? first]);
      }
      expect(await userCounts(pool, { from, to: asOf, app })).toEqual({
        total: [...instants.values()].filter((cs) => cs.some((c) => c < asOfMs)).length,
        new: [...instants.values()].filter((cs) => cs.some((c) => c >= fromMs && c < asOfMs)).length,
      });
    });
  }, 240_000);
});
