import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartitionKeeper, incrementUsage, insertEvents, usageTotals } from '../src/index.ts';
import { ev } from './support.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('event store', () => {
  it('absorbs a resent batch and keeps the rollups exact', async () => {
    const batch = [
      ev('s1', 'user_signed_up', '2026-04-01T10:00:00Z', 'lifecycle', { accountId: 'acct-1' }),
      ev('s1', 'feature_used', '2026-04-01T11:00:00Z', 'feature', {
        properties: { feature: 'x' },
        accountId: 'acct-1',
      }),
      ev('s1', 'heartbeat', '2026-04-02T11:00:00Z', 'system'),
    ];
    expect(await insertEvents(db.pool, 'store', batch)).toEqual({ received: 3, inserted: 3, duplicates: 0 });
    expect(await insertEvents(db.pool, 'store', batch)).toEqual({ received: 3, inserted: 0, duplicates: 3 });
    const daily = await db.pool.query(
      `select to_char(day, 'YYYY-MM-DD') as day, events from metrics_user_activity_daily where app = 'store' order by day`,
    );
    expect(daily.rows).toEqual([{ day: '2026-04-01', events: 2 }]);
    const account = await db.pool.query(
      `select events from metrics_account_activity_daily where app = 'store'`,
    );
    expect(account.rows).toEqual([{ events: 2 }]);
    const users = await db.pool.query(
      `select account_id, signed_up_at, first_seen_at, last_seen_at from metrics_users where app = 'store'`,
    );
    expect(users.rows).toEqual([
      {
        account_id: 'acct-1',
        signed_up_at: new Date('2026-04-01T10:00:00Z'),
        first_seen_at: new Date('2026-04-01T10:00:00Z'),
        last_seen_at: new Date('2026-04-02T11:00:00Z'),
      },
    ]);
  });

  it('stores events in their month partition and moves default rows when a partition is created', async () => {
    const late = ev('p1', 'feature_used', '2031-05-05T00:00:00Z', 'feature');
    await insertEvents(db.pool, 'store', [late]);
    const where = async () =>
      (await db.pool.query(`select tableoid::regclass::text as part from events where id = $1`, [late.id]))
        .rows[0]?.part;
    expect(await where()).toBe('events_default');
    await createPartitionKeeper()(db.pool, [late]);
    expect(await where()).toBe('events_2031_05');
    const rollup = await db.pool.query(`select events from metrics_user_activity_daily where user_id = 'p1'`);
    expect(rollup.rows).toEqual([{ events: 1 }]);
    const rls = await db.pool.query(`select relrowsecurity from pg_class where relname = 'events_2031_05'`);
    expect(rls.rows[0].relrowsecurity).toBe(true);
  });

  it('increments usage counters atomically and idempotently', async () => {
    const base = { app: 'store', userId: 'c1', day: '2026-04-01', counter: 'enrichments' };
    await Promise.all(Array.from({ length: 20 }, () => incrementUsage(db.pool, { ...base, amount: 5 })));
    expect(await incrementUsage(db.pool, { ...base, amount: 1, idempotencyKey: 'k1' })).toBe(101);
    expect(await incrementUsage(db.pool, { ...base, amount: 1, idempotencyKey: 'k1' })).toBe(101);
    await expect(incrementUsage(db.pool, { ...base, amount: -1 })).rejects.toThrow(/must be >= 0/);
    expect(
      await usageTotals(db.pool, { app: 'store', userId: 'c1', from: '2026-04-01', to: '2026-04-02' }),
    ).toEqual([{ counter: 'enrichments', value: 101 }]);
  });
});
