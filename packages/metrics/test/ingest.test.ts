import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  createTracker,
  enrichmentCatalog,
  httpTransport,
  revokeApiKey,
} from '../src/index.ts';

let db: TestDatabase;
let handler: ReturnType<typeof createIngestHandler>;
let server: Server;
let url: string;
let key: string;
let keyId: string;

/** Serves a fetch handler from a plain node:http server (what @hono/node-server does). */
function serve(handler: ReturnType<typeof createIngestHandler>): Promise<Server> {
  const s = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new Request(`http://localhost${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length ? { body } : {}),
    });
    const response = await handler(request, { remoteAddress: req.socket.remoteAddress });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

const event = (extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name: 'feature_used',
  category: 'feature',
  userId: 'h1',
  properties: { feature: 'x' },
  occurredAt: '2026-06-01T10:00:00.000Z',
  ...extra,
});
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  db = await createTestDatabase();
  ({ key, id: keyId } = await createApiKey(db.pool, { app: 'ingest', name: 'test' }));
  // Drains only when a test asks. A background drain committing while a resend is checked against
  // `events` would let the resend count as new (the drain still drops the duplicate).
  const onDemand = createEventInboxDrainer({ pool: db.pool });
  handler = createIngestHandler({
    pool: db.pool,
    keyCacheMs: 0,
    metadata: { anonymizeIp: true },
    drainer: { ...onDemand, kick: () => {} },
  });
  server = await serve(handler);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await handler.drainer.close();
  await db.drop();
});

describe('HTTP ingest handler', () => {
  it('stores a batch with request metadata and absorbs a resend', async () => {
    const batch = { events: [event(), event({ userId: null, anonymousId: 'v1' })] };
    const first = await post(batch, { 'user-agent': 'probe/1.0', referer: 'https://example.com/pricing' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 2, inserted: 2, duplicates: 0, rejected: [] });
    expect(await (await post(batch)).json()).toEqual({
      received: 2,
      inserted: 0,
      duplicates: 2,
      rejected: [],
    });
    await handler.drainer.drain();
    // Once drained, a resend is recognised against the stored events as well.
    expect(await (await post(batch)).json()).toEqual({
      received: 2,
      inserted: 0,
      duplicates: 2,
      rejected: [],
    });
    await handler.drainer.drain();
    const { rows } = await db.pool.query(
      `select app, host(ip) as ip, user_agent, referrer from events where id = $1`,
      [batch.events[0]!.id],
    );
    expect(rows).toEqual([
      { app: 'ingest', ip: '127.0.0.0', user_agent: 'probe/1.0', referrer: 'https://example.com/pricing' },
    ]);
    const stored = await db.pool.query(`select key_hash, last_used_at from metrics_api_keys where id = $1`, [
      keyId,
    ]);
    expect(stored.rows[0].key_hash).not.toContain(key);
    expect(stored.rows[0].last_used_at).not.toBeNull();
  });

  it('answers 401, 400, 413 and 415 and stores nothing from refused requests', async () => {
    const count = async () =>
      (
        await db.pool.query(
          `select (select count(*) from events) + (select count(*) from metrics_event_inbox) as n`,
        )
      ).rows[0].n as string;
    const before = await count();
    expect((await post({ events: [event()] }, { authorization: 'Bearer mk_wrong' })).status).toBe(401);
    expect(
      (await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(401);
    const invalid = await post({ events: [event(), event({ name: 'Not Snake' })] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: { code: 'invalid_batch', issues: [{ path: 'events.1.name' }] },
    });
    expect((await post('{"events": [')).status).toBe(400);
    expect((await post({ events: [] })).status).toBe(400);
    expect((await post({ events: Array.from({ length: 501 }, () => event()) })).status).toBe(413);
    const big = { events: [event({ properties: { blob: 'x'.repeat(600 * 1024) } })] };
    expect((await post(big)).status).toBe(413);
    expect((await post('a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(await count()).toBe(before);
  });

  it('refuses a revoked key', async () => {
    const other = await createApiKey(db.pool, { app: 'ingest', name: 'old' });
    await revokeApiKey(db.pool, other.id, new Date('2026-06-01T00:00:00Z'));
    expect((await post({ events: [event()] }, { authorization: `Bearer ${other.key}` })).status).toBe(401);
  });

  it('is what the HTTP transport speaks, splitting large batches', async () => {
    const tracker = createTracker({
      app: 'ignored',
      catalog: enrichmentCatalog,
      transport: httpTransport({ url, apiKey: key }),
      batchSize: 1200,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 1200; i++)
      tracker.track(
        'export_created',
        { format: 'csv', rows: i },
        { userId: `t${i % 7}`, occurredAt: new Date('2026-06-02T00:00:00Z') },
      );
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ sent: 1200, inserted: 1200, failed: 0 });
    await handler.drainer.drain();
    const { rows } = await db.pool.query(
      `select count(*)::int as n from events where name = 'export_created' and app = 'ingest'`,
    );
    expect(rows[0].n).toBe(1200);
    const failures: string[] = [];
    const bad = createTracker({
      app: 'x',
      catalog: enrichmentCatalog,
      transport: httpTransport({ url, apiKey: 'mk_nope' }),
      onError: (e) => failures.push(e.code),
    });
    bad.track('heartbeat', {}, { userId: 'z' });
    await bad.shutdown();
    expect(failures).toEqual(['unauthorized']);
  });
});
