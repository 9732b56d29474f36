import { createTestDatabase, type TestDatabase } from '@org/db/testing';
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

// Hand-made dataset; every expectation below is worked out by hand from it.
const fixture = [
  ev('u1', 'user_signed_up', '2026-03-01T10:00:00Z', 'lifecycle'),
  ev('u1', 'enrichment_started', '2026-03-01T11:00:00Z'),
  ev('u1', 'enrichment_completed', '2026-03-01T11:30:00Z'),
  ev('u1', 'enrichment_started', '2026-03-02T09:00:00Z'),
  ev('u1', 'enrichment_failed', '2026-03-02T09:05:00Z'),
  ev('u1', 'export_created', '2026-03-05T08:00:00Z'),
  ev('u2', 'user_signed_up', '2026-03-02T12:00:00Z', 'lifecycle'),
  ev('u2', 'enrichment_started', '2026-03-20T12:00:00Z'),
  ev('u3', 'enrichment_started', '2026-03-10T09:00:00Z'),
  ev('u3', 'heartbeat', '2026-03-11T09:00:00Z', 'system'),
  ev('u4', 'user_signed_up', '2026-02-10T08:00:00Z', 'lifecycle'),
  ev('u4', 'enrichment_started', '2026-02-10T09:00:00Z'),
  ev('u4', 'enrichment_completed', '2026-02-10T10:00:00Z'),
  ev('u4', 'enrichment_started', '2026-03-10T15:00:00Z'),
  ev('x9', 'enrichment_started', '2026-03-10T15:00:00Z', 'feature'),
];
const period = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-11T00:00:00Z'), app: 'demo' };

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // u1..u4 in app "demo"; x9 in another app, excluded by every app-scoped query.
  await insertEvents(
    db.pool,
    'demo',
    fixture.filter((e) => e.userId !== 'x9'),
  );
  await insertEvents(
    db.pool,
    'other',
    fixture.filter((e) => e.userId === 'x9'),
  );
});
afterAll(() => db.drop());

describe('product KPIs on a hand-computed dataset', () => {
  it('counts DAU, WAU and MAU as of a day', async () => {
    expect(await activeUsers(db.pool, { asOf: period.to, app: 'demo' })).toEqual({
      day: '2026-03-10',
      dau: 2,
      wau: 3,
      mau: 4,
    });
    expect(await activeUsers(db.pool, { asOf: period.to })).toEqual({
      day: '2026-03-10',
      dau: 3,
      wau: 4,
      mau: 5,
    });
  });

  it('gives the same series as the single-day query, day by day', async () => {
    const series = await activeUsersSeries(db.pool, {
      from: new Date('2026-02-05T00:00:00Z'),
      to: new Date('2026-03-25T00:00:00Z'),
      app: 'demo',
    });
    expect(series).toHaveLength(48);
    expect(series.slice(24, 26)).toEqual([
      { day: '2026-03-01', dau: 1, wau: 1, mau: 2 },
      { day: '2026-03-02', dau: 2, wau: 2, mau: 3 },
    ]);
    for (const point of series) {
      const single = await activeUsers(db.pool, {
        asOf: new Date(`${addDays(point.day, 1)}T00:00:00Z`),
        app: 'demo',
      });
      expect(point).toEqual(single);
    }
  });

  it('computes stickiness and the days-active distribution', async () => {
    const s = await stickiness(db.pool, { asOf: period.to, app: 'demo' });
    expect(s).toEqual({
      day: '2026-03-10',
      dau: 2,
      wau: 3,
      mau: 4,
      averageDau30: 0.23,
      dauOverMau: 0.0583,
      dauOverWau: 0.6667,
      daysActiveDistribution: [
        { days: 1, users: 2 },
        { days: 2, users: 1 },
        { days: 3, users: 1 },
      ],
    });
  });

  it('computes activation within 7 days of signup', async () => {
    expect(await activationRate(db.pool, period)).toMatchObject({ signedUp: 2, activated: 1, rate: 0.5 });
    expect(
      await activationRate(db.pool, { ...period, activation: { event: 'export_created' }, windowDays: 3 }),
    ).toMatchObject({ activated: 0, rate: 0 });
    expect(
      await activationRate(db.pool, { ...period, activation: { event: 'export_created' }, windowDays: 5 }),
    ).toMatchObject({ activated: 1 });
  });

  it('computes an ordered funnel with a conversion window and median times', async () => {
    const steps = await funnel(db.pool, {
      ...period,
      steps: ['user_signed_up', 'enrichment_started', 'enrichment_completed'],
    });
    expect(steps).toEqual([
      {
        step: 1,
        name: 'user_signed_up',
        users: 2,
        conversion: 1,
        conversionFromPrevious: 1,
        medianSecondsFromPrevious: null,
      },
      {
        step: 2,
        name: 'enrichment_started',
        users: 1,
        conversion: 0.5,
        conversionFromPrevious: 0.5,
        medianSecondsFromPrevious: 3600,
      },
      {
        step: 3,
        name: 'enrichment_completed',
        users: 1,
        conversion: 0.5,
        conversionFromPrevious: 1,
        medianSecondsFromPrevious: 1800,
      },
    ]);
    // A 30-day window lets u2's late start count.
    const wide = await funnel(db.pool, {
      ...period,
      steps: ['user_signed_up', 'enrichment_started'],
      windowDays: 30,
    });
    expect(wide[1]).toMatchObject({ users: 2, medianSecondsFromPrevious: (3600 + 18 * 86400) / 2 });
    // Order matters: completed before started never converts.
    const reversed = await funnel(db.pool, { ...period, steps: ['enrichment_completed', 'user_signed_up'] });
    expect(reversed.map((s) => s.users)).toEqual([1, 0]);
  });

  it('lists counts, top users, feature usage and core-action success', async () => {
    expect(await userCounts(db.pool, period)).toEqual({ total: 4, new: 3 });
    expect(await topUsers(db.pool, { ...period, limit: 3 })).toEqual([
      { userId: 'u1', accountId: null, activeDays: 3, events: 6, lastActiveDay: '2026-03-05' },
      { userId: 'u2', accountId: null, activeDays: 1, events: 1, lastActiveDay: '2026-03-02' },
      { userId: 'u3', accountId: null, activeDays: 1, events: 1, lastActiveDay: '2026-03-10' },
    ]);
    expect(await featureUsage(db.pool, period)).toEqual([
      { name: 'enrichment_started', events: 4, users: 3 },
      { name: 'enrichment_completed', events: 1, users: 1 },
      { name: 'enrichment_failed', events: 1, users: 1 },
      { name: 'export_created', events: 1, users: 1 },
    ]);
    expect(
      await coreActionSuccessRate(db.pool, {
        ...period,
        completed: 'enrichment_completed',
        failed: 'enrichment_failed',
      }),
    ).toEqual({
      completed: 1,
      failed: 1,
      rate: 0.5,
    });
  });
});
