import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleSeries } from '../src/index.ts';

// lifecycleSeries against the definition evaluated naively: per interval, each active subject is
// new (created in it), returning (active in the previous one) or resurrecting; dormant = active in
// the previous interval and not in this one. Small random user activity and creation days.
const BASE = Date.parse('2026-01-05T00:00:00Z');
const DAY = 86_400_000;
const iso = (d: number) => new Date(BASE + d * DAY).toISOString().slice(0, 10);

function start(day: string, g: 'day' | 'week' | 'month'): string {
  const t = new Date(`${day}T00:00:00Z`);
  if (g === 'week') t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7));
  if (g === 'month') t.setUTCDate(1);
  return t.toISOString().slice(0, 10);
}
function next(p: string, g: 'day' | 'week' | 'month', n = 1): string {
  const t = new Date(`${p}T00:00:00Z`);
  if (g === 'month') t.setUTCMonth(t.getUTCMonth() + n);
  else t.setUTCDate(t.getUTCDate() + n * (g === 'week' ? 7 : 1));
  return t.toISOString().slice(0, 10);
}

function naive(
  activity: { user: number; day: number }[],
  created: Map<number, number>,
  g: 'day' | 'week' | 'month',
  fromDay: number,
  toDay: number,
) {
  const periods: string[] = [];
  for (let p = start(iso(fromDay), g); p <= iso(toDay - 1); p = next(p, g)) periods.push(p);
  const active = (p: string) =>
    new Set(activity.filter((a) => a.day < toDay && start(iso(a.day), g) === p).map((a) => a.user));
  return periods.map((p) => {
    const now = active(p);
    const before = active(next(p, g, -1));
    let n = 0;
    let returning = 0;
    let resurrecting = 0;
    for (const u of now) {
      const c = created.get(u);
      if (c !== undefined && start(iso(c), g) === p) n++;
      else if (before.has(u)) returning++;
      else resurrecting++;
    }
    const dormant = [...before].filter((u) => !now.has(u)).length;
    return { period: p, new: n, returning, resurrecting, dormant };
  });
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('lifecycleSeries', () => {
  it('equals the naive classification', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({ user: fc.integer({ min: 1, max: 6 }), day: fc.integer({ min: 0, max: 90 }) }),
          {
            maxLength: 50,
            selector: (r) => `${r.user}/${r.day}`,
          },
        ),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 6, maxLength: 6 }),
        fc.constantFrom<'day' | 'week' | 'month'>('day', 'week', 'month'),
        fc.integer({ min: 0, max: 60 }),
        // Up to 100 days: daily ranges over 62 intervals run as several bit-mask queries.
        fc.integer({ min: 1, max: 100 }),
        async (activity, createdDays, g, fromDay, length) => {
          const created = new Map(createdDays.map((d, i) => [i + 1, d]));
          const client = await db.pool.connect();
          try {
            await client.query('begin');
            await client.query(
              `insert into public.metrics_users (app, user_id, first_seen_at, last_seen_at)
               select 'p', 'u' || u, $2::timestamptz + d * interval '1 day' + interval '5 hours', now()
               from unnest($1::int[]) with ordinality as t(d, u)`,
              [createdDays, new Date(BASE)],
            );
            await client.query(
              `insert into public.metrics_user_activity_daily (app, user_id, day, events, first_at, last_at)
               select 'p', 'u' || u, $3::date + d, 1, now(), now() from unnest($1::int[], $2::int[]) as t(u, d)`,
              [activity.map((a) => a.user), activity.map((a) => a.day), iso(0)],
            );
            const series = await lifecycleSeries(client as never, {
              interval: g,
              from: new Date(BASE + fromDay * DAY + 3_600_000),
              to: new Date(BASE + (fromDay + length) * DAY),
              app: 'p',
            });
            expect(series).toEqual(naive(activity, created, g, fromDay, fromDay + length));
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
