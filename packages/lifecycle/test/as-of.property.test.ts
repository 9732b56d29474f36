import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { insertEvents } from '@org/metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleSeries, loadSubjectMetrics } from '../src/index.ts';

// The lifecycle series and the stage rules' inputs as of an instant inside a day, against
// METRICS.md evaluated here over the raw events: the last day counts only its events before the
// instant. Events go through the real ingest (the rollups are the triggers' own) on a half-hour
// grid shared with the instant, many on its day; some carry an account, `system` ones are not
// activity. Users and accounts.
const BASE = Date.parse('2026-01-05T00:00:00Z');
const DAY = 86_400_000;
const SLOT = 1_800_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const NAMES = ['user_signed_up', 'page_viewed', 'export_created', 'enrichment_started', 'heartbeat'] as const;
type Name = (typeof NAMES)[number];
const categoryOf = (n: Name) =>
  n === 'user_signed_up'
    ? 'lifecycle'
    : n === 'page_viewed'
      ? 'navigation'
      : n === 'heartbeat'
        ? 'system'
        : 'feature';
type Ev = { user: number; name: Name; withAccount: boolean; at: number };
const accountOf = (user: number) => `c${user % 2}`;

function start(t: number, g: 'day' | 'week' | 'month'): string {
  const d = new Date(Math.floor(t / DAY) * DAY);
  if (g === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (g === 'month') d.setUTCDate(1);
  return d.toISOString().slice(0, 10);
}
function next(p: string, g: 'day' | 'week' | 'month', n = 1): string {
  const t = new Date(`${p}T00:00:00Z`);
  if (g === 'month') t.setUTCMonth(t.getUTCMonth() + n);
  else t.setUTCDate(t.getUTCDate() + n * (g === 'week' ? 7 : 1));
  return t.toISOString().slice(0, 10);
}

const fields = {
  user: fc.integer({ min: 1, max: 5 }),
  name: fc.constantFrom(...NAMES),
  withAccount: fc.boolean(),
  slot: fc.integer({ min: 0, max: 47 }),
};
const world = fc.record({
  spread: fc.array(fc.record({ ...fields, day: fc.integer({ min: 0, max: 70 }) }), {
    minLength: 3,
    maxLength: 40,
  }),
  onLastDay: fc.array(fc.record(fields), { minLength: 1, maxLength: 15 }),
  lastDay: fc.integer({ min: 1, max: 75 }),
  slot: fc.integer({ min: 1, max: 47 }),
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

/** Stores a world's events in a transaction (rolled back after `check`); `until` is the instant. */
async function withEvents(w: World, check: (events: Ev[], until: number, pool: never) => Promise<void>) {
  const events: Ev[] = [
    ...w.spread.map((e) => ({ ...e, at: BASE + e.day * DAY + e.slot * SLOT })),
    ...w.onLastDay.map((e) => ({ ...e, at: BASE + w.lastDay * DAY + e.slot * SLOT })),
  ].map(({ user, name, withAccount, at }) => ({ user, name, withAccount, at }));
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await insertEvents(
      client,
      'p',
      events.map((e) => ({
        id: randomUUID(),
        name: e.name,
        category: categoryOf(e.name),
        userId: `u${e.user}`,
        accountId: e.withAccount ? accountOf(e.user) : null,
        properties: {},
        occurredAt: new Date(e.at).toISOString(),
      })),
    );
    await check(events, BASE + w.lastDay * DAY + w.slot * SLOT, client as never);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

/** Subject of an event at a level (null: the event has none), and its creation instant. */
function subjects(events: Ev[], level: 'user' | 'account') {
  const subjectOf = (e: Ev) => (level === 'user' ? `u${e.user}` : e.withAccount ? accountOf(e.user) : null);
  // A user's cohort instant: first signup, else first event; an account's: the earliest of its users'.
  const created = new Map<string, number>();
  for (const user of new Set(events.map((e) => e.user))) {
    const own = events.filter((e) => e.user === user);
    const signups = own.filter((e) => e.name === 'user_signed_up');
    const instant = Math.min(...(signups.length ? signups : own).map((e) => e.at));
    const key = level === 'user' ? `u${user}` : own.some((e) => e.withAccount) ? accountOf(user) : null;
    if (key !== null) created.set(key, Math.min(created.get(key) ?? Infinity, instant));
  }
  return { subjectOf, created };
}

describe('lifecycle as of an instant inside a day', () => {
  it('lifecycleSeries counts the last day up to `to`', async () => {
    await fc.assert(
      fc.asyncProperty(
        world,
        fc.constantFrom<'day' | 'week' | 'month'>('day', 'week', 'month'),
        fc.constantFrom<'user' | 'account'>('user', 'account'),
        fc.integer({ min: 0, max: 40 }),
        (w, g, level, fromDay) =>
          withEvents(w, async (events, until, pool) => {
            const from = BASE + Math.min(fromDay, w.lastDay) * DAY;
            const { subjectOf, created } = subjects(events, level);
            const active = (p: string) =>
              new Set(
                events
                  .filter((e) => categoryOf(e.name) !== 'system' && e.at < until && start(e.at, g) === p)
                  .map(subjectOf)
                  .filter((s) => s !== null),
              );
            const expected = [];
            for (let p = start(from, g); p <= start(until - 1, g); p = next(p, g)) {
              const now = active(p);
              const before = active(next(p, g, -1));
              let n = 0;
              let returning = 0;
              let resurrecting = 0;
              for (const s of now) {
                const c = created.get(s);
                if (c !== undefined && start(c, g) === p) n++;
                else if (before.has(s)) returning++;
                else resurrecting++;
              }
              const dormant = [...before].filter((s) => !now.has(s)).length;
              expected.push({ period: p, new: n, returning, resurrecting, dormant });
            }
            expect(
              await lifecycleSeries(pool, {
                interval: g,
                from: new Date(from),
                to: new Date(until),
                app: 'p',
                level,
              }),
            ).toEqual(expected);
          }),
      ),
      { numRuns: 60 },
    );
  }, 240_000);

  it('loadSubjectMetrics counts the as-of day up to the instant', async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.constantFrom<'user' | 'account'>('user', 'account'), (w, level) =>
        withEvents(w, async (events, asOf, pool) => {
          const { subjectOf, created } = subjects(events, level);
          const d0 = Math.floor(asOf / DAY) * DAY;
          const expected = [...created.entries()]
            .filter(([, c]) => c < asOf)
            .map(([id]) => {
              const own = events.filter((e) => subjectOf(e) === id && e.at < asOf);
              const activeDays = own.filter((e) => categoryOf(e.name) !== 'system').map((e) => iso(e.at));
              const features = own.filter((e) => categoryOf(e.name) === 'feature');
              return {
                id,
                lastActiveDay: [...activeDays].sort().at(-1) ?? null,
                activeDaysIn28: new Set(activeDays.filter((d) => d > iso(d0 - 28 * DAY))).size,
                distinctFeaturesIn28: new Set(
                  features.filter((e) => e.at >= asOf - 28 * DAY).map((e) => e.name),
                ).size,
                activated: features.length > 0,
              };
            })
            .sort((a, b) => (a.id < b.id ? -1 : 1));
          const got = await loadSubjectMetrics(pool, { app: 'p', level, asOf: new Date(asOf) });
          expect(
            got.map((s) => ({
              id: s.id,
              lastActiveDay: s.lastActiveDay,
              activeDaysIn28: s.activeDaysIn28,
              distinctFeaturesIn28: s.distinctFeaturesIn28,
              activated: s.activated,
            })),
          ).toEqual(expected);
        }),
      ),
      { numRuns: 60 },
    );
  }, 240_000);
});
