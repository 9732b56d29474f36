import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  createPartitionKeeper,
  drainEventInbox,
  type IngestHandlerOptions,
  maintainEventPartitions,
} from '../src/index.ts';
import { postEvents, serveHandler, wire } from './http.ts';

const DAY = 86_400_000;
let db: TestDatabase;
let key: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ key } = await createApiKey(db.pool, { app: 'window', name: 'window' }));
});
afterAll(async () => {
  await db?.drop();
});

const partitions = async () =>
  (
    await db.pool.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'public.events'::regclass order by 1`,
    )
  ).rows.map((r) => r.name);

/** A handler on loopback whose clock reads `now`, draining only when a test asks. */
async function handlerAt(now: Date, extra: Partial<IngestHandlerOptions> = {}) {
  const onDemand = createEventInboxDrainer({ pool: db.pool });
  const handler = createIngestHandler({
    pool: db.pool,
    now: () => now,
    drainer: { ...onDemand, kick: () => {} },
    ...extra,
  });
  const server = await serveHandler(handler);
  return { ...server, post: (body: unknown) => postEvents(server.url, key, body) };
}

describe('ingest time window', () => {
  it('refuses events outside [now - 400 days, now + 1 day] one by one and stores the rest, creating no partition', async () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    const server = await handlerAt(now);
    try {
      const before = await partitions();
      const events = [
        wire(at(-3_600_000)),
        wire('0050-01-01T00:00:00Z'),
        wire('0099-12-31T23:00:00-02:00'),
        wire('1850-06-01T00:00:00Z'),
        wire('9999-12-31T23:59:59Z'),
        wire(at(2 * DAY)),
        wire(at(-401 * DAY)),
        wire(at(-399 * DAY)),
      ];
      const res = await server.post({ events });
      expect(res.status).toBe(207);
      expect(res.body).toMatchObject({ received: 8, inserted: 2, duplicates: 0 });
      expect(
        res.body.rejected.map((r: { index: number; id: string; code: string }) => [r.index, r.id, r.code]),
      ).toEqual([1, 2, 3, 4, 5, 6].map((i) => [i, events[i]!.id, 'out_of_window']));
      expect(res.body.rejected[0].message).toMatch(
        /outside \[2025-11-02T12:00:00.000Z, 2026-12-08T12:00:00.000Z\]/,
      );
      await drainEventInbox(db.pool);
      const { rows } = await db.pool.query(`select id from events where app = 'window' order by occurred_at`);
      expect(rows.map((r) => r.id)).toEqual([events[7]!.id, events[0]!.id]);
      expect(await partitions()).toEqual(before);
    } finally {
      await server.close();
    }
  });

  it('takes its window from the options', async () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const server = await handlerAt(now, { window: { pastDays: 7 } });
    try {
      const res = await server.post({
        events: [wire('2026-11-29T12:00:00Z'), wire('2026-12-01T12:00:00Z'), wire('2026-12-08T11:00:00Z')],
      });
      expect(res.status).toBe(207);
      expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([0]);
      expect(res.body.inserted).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('creates at most 2 partitions per request; maintenance creates the window and moves rows out of the default partition', async () => {
    // 2028 and 2029 have no partitions yet (the schema creates 2025-2027).
    const now = new Date('2029-03-15T12:00:00Z');
    const server = await handlerAt(now);
    try {
      const before = new Set(await partitions());
      const months = ['2028-02', '2028-03', '2028-04', '2028-05', '2028-06', '2028-07'];
      const events = months.map((m) => wire(`${m}-10T10:00:00Z`, { userId: `m${m}` }));
      const res = await server.post({ events });
      expect(res.status).toBe(200);
      expect(res.body.inserted).toBe(6);
      const made = (await partitions()).filter((p) => !before.has(p));
      expect(made).toHaveLength(2);
      await drainEventInbox(db.pool);
      const where = async () =>
        (
          await db.pool.query(
            `select tableoid::regclass::text as part from events where app = 'window' and user_id like 'm%' order by occurred_at`,
          )
        ).rows.map((r) => r.part);
      expect((await where()).filter((p) => p === 'events_default')).toHaveLength(4);

      const maintained = await maintainEventPartitions(db.pool, { asOf: now, monthsAhead: 2 });
      // 400 days before 2029-03-15 is 2028-02-09: the window's months and two ahead.
      const expected = [
        ...['02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) => `2028-${m}`),
        ...['01', '02', '03', '04', '05'].map((m) => `2029-${m}`),
      ];
      expect([...maintained.created, ...made.map((p) => p.slice(7).replace('_', '-'))].sort()).toEqual(
        expected,
      );
      expect(maintained.skipped).toEqual([]);
      expect(await where()).toEqual(months.map((m) => `events_${m.replace('-', '_')}`));
      const rollup = await db.pool.query(
        `select count(*)::int as n from metrics_user_activity_daily where app = 'window' and user_id like 'm%'`,
      );
      expect(rollup.rows[0].n).toBe(6);
      expect(await maintainEventPartitions(db.pool, { asOf: now, monthsAhead: 2 })).toEqual({
        created: [],
        skipped: [],
      });
    } finally {
      await server.close();
    }
  });

  it('creates one partition for an event of year 0050, where Date.UTC had made it ~22,800', async () => {
    const before = await partitions();
    await createPartitionKeeper()(db.pool, [{ occurredAt: '0050-12-15T00:00:00Z' }]);
    expect((await partitions()).filter((p) => !before.includes(p))).toEqual(['events_0050_12']);
    const bounds = await db.pool.query(
      `select pg_get_expr(relpartbound, oid) as b from pg_class where relname = 'events_0050_12'`,
    );
    expect(bounds.rows[0].b).toBe("FOR VALUES FROM ('0050-12-01 00:00:00+00') TO ('0051-01-01 00:00:00+00')");
    await expect(
      db.pool.query(`select metrics_ensure_event_partitions('0050-12-01T00:00:00Z', '1951-01-01T00:00:00Z')`),
    ).rejects.toThrow(/at most 36 months per call/);
  });

  it('bounds the ingest write by lock_timeout: a locked inbox is answered 503 with retry-after, not a hang', async () => {
    const server = await handlerAt(new Date());
    const blocker = await db.pool.connect();
    // Hang guard only: the lock is released as soon as the request is answered.
    const guard = setTimeout(() => blocker.query('rollback').catch(() => {}), 60_000);
    try {
      await blocker.query('begin; lock table metrics_event_inbox in access exclusive mode');
      const blocked = await server.post({ events: [wire(new Date().toISOString())] });
      await blocker.query('rollback');
      expect(blocked.status).toBe(503);
      expect(blocked.headers.get('retry-after')).toBe('2');
      expect(blocked.body).toEqual({
        error: {
          code: 'database_unavailable',
          message: 'the events could not be stored now; retry with the same ids',
        },
      });
      expect((await server.post({ events: [wire(new Date().toISOString())] })).status).toBe(200);
    } finally {
      clearTimeout(guard);
      blocker.release();
      await server.close();
    }
  });
});
