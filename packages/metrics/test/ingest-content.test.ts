import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createPool } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  createTracker,
  defineCatalog,
  drainEventInbox,
  httpTransport,
  MAX_PROPERTIES_DEPTH,
  type MetricsError,
  type ParsedWireEvent,
  postgresTransport,
} from '../src/index.ts';
import { postEvents, serveHandler, wire } from './http.ts';

let db: TestDatabase;
let key: string;
let server: Awaited<ReturnType<typeof serveHandler>>;
const recent = () => new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  db = await createTestDatabase();
  ({ key } = await createApiKey(db.pool, { app: 'content', name: 'content' }));
  const onDemand = createEventInboxDrainer({ pool: db.pool });
  server = await serveHandler(
    createIngestHandler({ pool: db.pool, drainer: { ...onDemand, kick: () => {} } }),
  );
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const storedIds = async (app: string) => {
  await drainEventInbox(db.pool);
  const { rows } = await db.pool.query(`select id from events where app = $1`, [app]);
  return new Set(rows.map((r) => r.id as string));
};

/** `levels` nested arrays around 1, as raw JSON (deeper than JSON.stringify could build). */
const nestedJson = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

describe('content Postgres cannot store is refused per event (4xx-style), never 5xx', () => {
  it('refuses NUL, unpaired surrogates and deep nesting one by one and stores the rest of the batch', async () => {
    let deep = 1 as unknown;
    for (let i = 0; i < MAX_PROPERTIES_DEPTH; i++) deep = [deep];
    const events = [
      wire(recent()),
      wire(recent(), { properties: { note: 'a\u0000b' } }),
      wire(recent(), { properties: { 'k\u0000': 1 } }),
      wire(recent(), { userId: 'lone\ud800' }),
      wire(recent(), { properties: { d: deep } }),
      wire(recent(), { properties: { ok: [[['fine']]], emoji: '\ud83d\ude00' } }),
      wire(recent(), { properties: { d: 'DEEP' } }),
    ];
    // JSON.stringify escapes the lone surrogate as \ud800, as a client would send it.
    const body = JSON.stringify({ events }).replace('"DEEP"', nestedJson(100_000));
    const res = await postEvents(server.url, key, body);
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ received: 7, inserted: 2, duplicates: 0 });
    expect(res.body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [1, 'invalid_text'],
      [2, 'invalid_text'],
      [3, 'invalid_text'],
      [4, 'too_deep'],
      [6, 'too_deep'],
    ]);
    expect(res.body.rejected[0]).toEqual({
      index: 1,
      id: events[1]!.id,
      code: 'invalid_text',
      message: 'properties.note contains NUL (\\u0000)',
    });
    expect(await storedIds('content')).toEqual(new Set([events[0]!.id, events[5]!.id]));
    const { rows } = await db.pool.query(`select properties->>'emoji' as e from events where id = $1`, [
      events[5]!.id,
    ]);
    expect(rows[0].e).toBe('\ud83d\ude00');
  });

  it('maps a data or constraint error of Postgres to that event, found by halving the batch', async () => {
    const client = await db.pool.connect();
    try {
      // A rule only Postgres knows: the handler cannot screen for it.
      await client.query(
        `alter table metrics_event_inbox add constraint refuse_marked check (properties->>'refuse' is null)`,
      );
      const events = Array.from({ length: 9 }, (_, i) =>
        wire(recent(), i === 2 || i === 7 ? { properties: { refuse: 'yes' } } : {}),
      );
      const res = await postEvents(server.url, key, { events });
      expect(res.status).toBe(207);
      expect(res.body).toMatchObject({ received: 9, inserted: 7, duplicates: 0 });
      expect(res.body.rejected).toEqual(
        [2, 7].map((index) => ({
          index,
          id: events[index]!.id,
          code: 'unstorable',
          message: expect.stringContaining('refuse_marked'),
        })),
      );
      const stored = await storedIds('content');
      expect(events.filter((e) => stored.has(e.id)).length).toBe(7);
    } finally {
      await client.query('alter table metrics_event_inbox drop constraint if exists refuse_marked');
      client.release();
    }
  });

  it('the HTTP tracker reports refused events once, never retries them, and stores the valid ones', async () => {
    const catalog = defineCatalog({
      note_added: { category: 'feature', properties: z.object({ note: z.string() }) },
    });
    const refused: { error: MetricsError; events: readonly ParsedWireEvent[] }[] = [];
    const tracker = createTracker({
      app: 'ignored',
      catalog,
      transport: httpTransport({ url: server.url, apiKey: key }),
      batchSize: 600,
      flushIntervalMs: 60_000,
      retryBaseMs: 1,
      onError: (error, events) => refused.push({ error, events }),
    });
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      const bad = i === 10 ? 'nul\u0000' : undefined;
      const r = tracker.track(
        'note_added',
        { note: bad ?? `n${i}` },
        { userId: 'trk', ...(i === 550 ? { occurredAt: new Date('2020-01-01T00:00:00Z') } : {}) },
      );
      if (r.ok) ids.push(r.value.id);
    }
    await tracker.shutdown();
    // 600 events went out in two requests (500 + 100): the refusals carry batch indexes.
    expect(tracker.stats()).toMatchObject({ sent: 598, inserted: 598, rejected: 2, failed: 0, retries: 0 });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error.code).toBe('invalid_event');
    expect(refused[0]!.events.map((e) => e.id)).toEqual([ids[10], ids[550]]);
    expect(refused[0]!.error.options.details).toMatchObject([
      { index: 10, code: 'invalid_text' },
      { index: 550, code: 'out_of_window' },
    ]);
    const stored = await storedIds('content');
    expect(ids.filter((id) => stored.has(id))).toHaveLength(598);
  });

  it('the Postgres transport refuses unstorable events per event instead of failing the batch', async () => {
    const refused: string[] = [];
    const tracker = createTracker({
      app: 'pgt',
      catalog: defineCatalog({
        note_added: { category: 'feature', properties: z.object({ note: z.string() }) },
      }),
      transport: postgresTransport({ pool: db.pool }),
      batchSize: 10,
      flushIntervalMs: 60_000,
      onError: (e, events) => refused.push(`${e.code}:${events.length}`),
    });
    tracker.track('note_added', { note: 'ok' }, { userId: 'p' });
    tracker.track('note_added', { note: 'bad\u0000' }, { userId: 'p' });
    // Year 0 (1 BC) passes the format but not Postgres' calendar: found by the database.
    tracker.track(
      'note_added',
      { note: 'ok' },
      { userId: 'p', occurredAt: new Date('0000-06-01T00:00:00Z') },
    );
    tracker.track('note_added', { note: 'ok' }, { userId: 'p' });
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ sent: 2, inserted: 2, rejected: 2, failed: 0, retries: 0 });
    expect(refused).toEqual(['invalid_event:2']);
    const { rows } = await db.pool.query(`select count(*)::int as n from events where app = 'pgt'`);
    expect(rows[0].n).toBe(2);
  });
});

describe('database failures', () => {
  /** A loopback port nothing listens on. */
  const closedPort = () =>
    new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });

  it('answers 503 with retry-after while the database is unreachable', async () => {
    const pool = createPool(`postgres://postgres@127.0.0.1:${await closedPort()}/none`, 2);
    const errors: unknown[] = [];
    const down = await serveHandler(
      createIngestHandler({ pool, drainIntervalMs: 60_000, onError: (e) => errors.push(e) }),
    );
    try {
      const res = await postEvents(down.url, 'mk_any', { events: [wire(recent())] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body.error.code).toBe('database_unavailable');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await down.close();
      await pool.end();
    }
  });

  it('answers 503 when no pooled connection frees up in time', async () => {
    const pool = createPool(db.url, 1);
    pool.options.connectionTimeoutMillis = 200;
    const held = await pool.connect();
    const busy = await serveHandler(createIngestHandler({ pool, drainIntervalMs: 60_000, keyCacheMs: 0 }));
    try {
      const res = await postEvents(busy.url, key, { events: [wire(recent(), { id: randomUUID() })] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
    } finally {
      held.release();
      await busy.close();
      await pool.end();
    }
  });
});
