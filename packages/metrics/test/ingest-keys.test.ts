import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  DEFAULT_KEY_CACHE_MS,
  revokeApiKey,
} from '../src/index.ts';
import { postEvents, serveHandler, wire } from './http.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** A handler with the default key cache whose clock is `clock.now` (epoch ms). */
async function handlerWithClock(clock: { now: number }) {
  const onDemand = createEventInboxDrainer({ pool: db.pool });
  const handler = createIngestHandler({
    pool: db.pool,
    now: () => new Date(clock.now),
    drainer: { ...onDemand, kick: () => {} },
  });
  return serveHandler(handler);
}

describe('ingest key revocation', () => {
  it('takes effect at once in the process that revoked the key, though the key is cached', async () => {
    const clock = { now: Date.now() };
    const server = await handlerWithClock(clock);
    try {
      const { id, key } = await createApiKey(db.pool, { app: 'keys', name: 'revoked here' });
      const post = () => postEvents(server.url, key, { events: [wire(new Date(clock.now).toISOString())] });
      expect((await post()).status).toBe(200);
      expect((await post()).status).toBe(200);
      expect(await revokeApiKey(db.pool, id, new Date(clock.now))).toBe(true);
      const refused = await post();
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    } finally {
      await server.close();
    }
  });

  it(`takes effect elsewhere within the key cache time (${DEFAULT_KEY_CACHE_MS} ms)`, async () => {
    expect(DEFAULT_KEY_CACHE_MS).toBe(5_000);
    const clock = { now: Date.now() };
    const server = await handlerWithClock(clock);
    try {
      const { id, key } = await createApiKey(db.pool, { app: 'keys', name: 'revoked elsewhere' });
      const post = () => postEvents(server.url, key, { events: [wire(new Date(clock.now).toISOString())] });
      expect((await post()).status).toBe(200);
      // Another process (the admin dashboard, the CLI) revokes it: this process's cache is not told.
      await db.pool.query('update metrics_api_keys set revoked_at = now() where id = $1', [id]);
      clock.now += DEFAULT_KEY_CACHE_MS - 1;
      expect((await post()).status).toBe(200);
      clock.now += 1;
      expect((await post()).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
