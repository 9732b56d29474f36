import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { createApiKey, drainEventInbox } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './support/server.ts';

// Two product-app servers (two webhook app instances, each with its own pool and its own inbox
// drainer) take overlapping batches of the same events at once, in different orders, while their
// drainers move the inbox into `events`.
let db: TestDatabase;
const pools: Pool[] = [];
const apps: Awaited<ReturnType<typeof startApp>>[] = [];
let key: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ key } = await createApiKey(db.pool, { app: 'conc', name: 'concurrency' }));
  for (let i = 0; i < 2; i++) {
    const pool = createPool(db.url, 6);
    pools.push(pool);
    apps.push(await startApp(pool));
  }
});
afterAll(async () => {
  for (const app of apps) await app.close();
  for (const pool of pools) await pool.end();
  await db?.drop();
});

function seeded(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

describe('concurrent ingest from two servers', () => {
  it('answers every overlapping batch 200 (no deadlock) with exact inserted and duplicate counts', async () => {
    const now = Date.now();
    const pool = Array.from({ length: 1500 }, (_, i) => ({
      id: randomUUID(),
      name: i % 5 === 0 ? 'page_viewed' : 'feature_used',
      category: i % 5 === 0 ? 'navigation' : 'feature',
      userId: `u${i % 250}`,
      properties: { n: i },
      occurredAt: new Date(now - (i % 48) * 3_600_000).toISOString(),
    }));
    const sentIds = new Set<string>();
    const statuses = new Map<number, number>();
    let inserted = 0;
    let duplicates = 0;
    let sent = 0;

    // Per server, three clients; each posts 20 batches of 120 events from a random stretch of
    // the pool, shuffled, so batches of both servers overlap in every order.
    const client = async (server: number, c: number) => {
      const rand = seeded(1000 * server + c + 1);
      for (let b = 0; b < 20; b++) {
        const start = rand(pool.length - 120);
        const batch = pool.slice(start, start + 120);
        for (let i = batch.length - 1; i > 0; i--) {
          const j = rand(i + 1);
          [batch[i], batch[j]] = [batch[j]!, batch[i]!];
        }
        const res = await fetch(`${apps[server]!.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ events: batch }),
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = (await res.json()) as { inserted?: number; duplicates?: number };
        if (res.status === 200) {
          inserted += body.inserted ?? 0;
          duplicates += body.duplicates ?? 0;
          sent += batch.length;
          for (const e of batch) sentIds.add(e.id);
        }
      }
    };
    await Promise.all([0, 1].flatMap((server) => [0, 1, 2].map((c) => client(server, c))));

    expect(Object.fromEntries(statuses)).toEqual({ 200: 120 });
    expect(inserted).toBe(sentIds.size);
    expect(duplicates).toBe(sent - sentIds.size);

    await drainEventInbox(db.pool);
    const { rows } = await db.pool.query(
      `select count(*)::int as n, count(distinct id)::int as ids from events where app = 'conc'`,
    );
    expect(rows[0]).toEqual({ n: sentIds.size, ids: sentIds.size });
    const activity = await db.pool.query(
      `select sum(events)::int as n from metrics_user_activity_daily where app = 'conc'`,
    );
    expect(activity.rows[0].n).toBe(sentIds.size);
  });
});
