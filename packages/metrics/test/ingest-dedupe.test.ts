import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  drainEventInbox,
  enqueueEvents,
  insertEvents,
} from '../src/index.ts';
import { postEvents, serveHandler, wire } from './http.ts';
import { ev } from './support.ts';

let db: TestDatabase;
let server: Awaited<ReturnType<typeof serveHandler>>;
const keys: Record<string, string> = {};
const hour = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

beforeAll(async () => {
  db = await createTestDatabase();
  for (const app of ['alpha', 'beta']) keys[app] = (await createApiKey(db.pool, { app, name: app })).key;
  const onDemand = createEventInboxDrainer({ pool: db.pool });
  server = await serveHandler(
    createIngestHandler({ pool: db.pool, drainer: { ...onDemand, kick: () => {} } }),
  );
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const stored = async (id: string) => {
  await drainEventInbox(db.pool);
  const { rows } = await db.pool.query(`select app, occurred_at from events where id = $1 order by app`, [
    id,
  ]);
  return rows.map((r) => `${r.app}@${(r.occurred_at as Date).toISOString()}`);
};

describe('dedupe key (app, id)', () => {
  it('stores an id resent with another occurred_at once, before and after the drain', async () => {
    const first = wire(hour(3));
    const post = (body: unknown, app = 'alpha') => postEvents(server.url, keys[app]!, body);
    expect((await post({ events: [first] })).body).toMatchObject({ inserted: 1, duplicates: 0 });
    expect((await post({ events: [{ ...first, occurredAt: hour(2) }] })).body).toMatchObject({
      inserted: 0,
      duplicates: 1,
    });
    expect(await stored(first.id)).toEqual([`alpha@${first.occurredAt}`]);
    expect((await post({ events: [{ ...first, occurredAt: hour(1) }] })).body).toMatchObject({
      inserted: 0,
      duplicates: 1,
    });
    expect(await stored(first.id)).toEqual([`alpha@${first.occurredAt}`]);
  });

  it('stores the same id from two apps for both, even at the same instant', async () => {
    const e = wire(hour(4));
    expect((await postEvents(server.url, keys.alpha!, { events: [e] })).body.inserted).toBe(1);
    expect((await postEvents(server.url, keys.beta!, { events: [e] })).body.inserted).toBe(1);
    expect(await stored(e.id)).toEqual([`alpha@${e.occurredAt}`, `beta@${e.occurredAt}`]);
  });

  it('counts an id twice in one batch as one insert and one duplicate', async () => {
    const e = wire(hour(5));
    const res = await postEvents(server.url, keys.alpha!, {
      events: [e, { ...e, occurredAt: hour(6) }, wire(hour(5))],
    });
    expect(res.body).toEqual({ received: 3, inserted: 2, duplicates: 1, rejected: [] });
    expect(await stored(e.id)).toEqual([`alpha@${e.occurredAt}`]);
  });

  it('applies the same key to direct inserts and the inbox', async () => {
    const a = ev('k1', 'feature_used', '2026-06-01T10:00:00Z');
    const moved = { ...a, occurredAt: '2026-06-03T10:00:00.000Z' };
    expect(await insertEvents(db.pool, 'gamma', [a])).toEqual({ received: 1, inserted: 1, duplicates: 0 });
    expect(await insertEvents(db.pool, 'gamma', [moved])).toEqual({
      received: 1,
      inserted: 0,
      duplicates: 1,
    });
    expect(await enqueueEvents(db.pool, 'gamma', [moved])).toEqual({
      received: 1,
      inserted: 0,
      duplicates: 1,
    });
    expect(await insertEvents(db.pool, 'delta', [moved])).toEqual({
      received: 1,
      inserted: 1,
      duplicates: 0,
    });
    expect(await stored(a.id)).toEqual(['delta@2026-06-03T10:00:00.000Z', 'gamma@2026-06-01T10:00:00.000Z']);
  });

  it('the track_events RPC uses the same key', async () => {
    const id = randomUUID();
    const rpc = async (app: string, at: string) =>
      (
        await db.pool.query(`select public.track_events($1, $2::jsonb) as r`, [
          app,
          JSON.stringify([{ id, name: 'feature_used', category: 'feature', user_id: 'r1', occurred_at: at }]),
        ])
      ).rows[0].r;
    const at = hour(7);
    expect(await rpc('alpha', at)).toEqual({ received: 1, inserted: 1, duplicates: 0, rejected: [] });
    expect(await rpc('alpha', hour(8))).toEqual({ received: 1, inserted: 0, duplicates: 1, rejected: [] });
    expect(await rpc('beta', at)).toMatchObject({ inserted: 1 });
    expect(await stored(id)).toEqual([`alpha@${at}`, `beta@${at}`]);
  });

  it('a resend while a drain is moving the batch counts as duplicates, not as new events', async () => {
    const events = Array.from({ length: 20 }, (_, i) => wire(hour(9), { userId: `race${i}` }));
    expect((await postEvents(server.url, keys.alpha!, { events })).body.inserted).toBe(20);
    // A drain has moved the batch out of the inbox and not committed yet.
    const drain = await db.pool.connect();
    try {
      await drain.query('begin');
      await drain.query('select public.metrics_drain_event_inbox(50000, true)');
      const resend = postEvents(server.url, keys.alpha!, { events });
      // The resend must not wait for the drain: with the old key it waited for the drain's
      // delete, then counted the batch as new. Watch for a session of this database waiting on
      // a lock (a hang guard of 30 s, not a timing assertion).
      let settled = false;
      const blockedOnLock = async () => {
        for (let i = 0; i < 600 && !settled; i++) {
          const { rows } = await db.pool.query(
            `select count(*)::int as n from pg_stat_activity
             where wait_event_type = 'Lock' and datname = current_database()`,
          );
          if (rows[0].n > 0) return true;
          await new Promise((r) => setTimeout(r, 50));
        }
        return !settled;
      };
      const watcher = blockedOnLock();
      const first = await Promise.race([resend, watcher]);
      settled = true;
      await watcher;
      await drain.query('commit');
      expect(first).not.toBe(true);
      expect((await resend).body).toMatchObject({ received: 20, inserted: 0, duplicates: 20 });
    } finally {
      await drain.query('rollback').catch(() => {});
      drain.release();
    }
    const { rows } = await db.pool.query(
      `select count(*)::int as n from events where app = 'alpha' and user_id like 'race%'`,
    );
    expect(rows[0].n).toBe(20);
  });
});
