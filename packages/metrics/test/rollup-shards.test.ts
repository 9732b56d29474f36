import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedWireEvent } from '../src/event.ts';
import { activeUsers, addDays, featureUsage, insertEvents } from '../src/index.ts';
import { ev } from './support.ts';

// The signed-delta rollups (active-user gaps, feature gaps, event counts) keep one row per key and
// writing backend. Batches written concurrently from several connections, out of time order, must
// sum to exactly what one connection writing them in order stores.
const BASE = '2026-03-01';
const NAMES = ['export_created', 'enrichment_started', 'page_viewed'] as const;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** A deterministic stream: 12 users and 2 anonymous visitors over 14 days, in batches of 15. */
function batches(): ParsedWireEvent[][] {
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const events = Array.from({ length: 300 }, () => {
    const user = rand(14);
    const name = NAMES[rand(NAMES.length)]!;
    const at = new Date(Date.parse(`${BASE}T00:00:00Z`) + rand(14 * 1440) * 60_000).toISOString();
    return user < 12
      ? ev(`u${user}`, name, at, name === 'page_viewed' ? 'navigation' : 'feature')
      : ev(null, name, at, name === 'page_viewed' ? 'navigation' : 'feature', { anonymousId: `v${user}` });
  });
  return Array.from({ length: 20 }, (_, i) => events.slice(i * 15, i * 15 + 15));
}

/** Clients whose backends write distinct shards (backend pid mod 8). */
async function clientsOnDistinctShards(count: number): Promise<pg.Client[]> {
  const chosen: pg.Client[] = [];
  const spare: pg.Client[] = [];
  const shards = new Set<number>();
  while (chosen.length < count) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ shard: number }>('select pg_backend_pid() % 8 as shard');
    if (shards.has(rows[0]!.shard)) spare.push(client);
    else {
      shards.add(rows[0]!.shard);
      chosen.push(client);
    }
  }
  await Promise.all(spare.map((c) => c.end()));
  return chosen;
}

const summed = async (app: string) => {
  const q = async (sql: string) => (await db.pool.query(sql, [app])).rows;
  return {
    gaps: await q(
      `select day::text, gap, sum(users)::int as n from metrics_active_gaps where app = $1
       group by 1, 2 having sum(users) <> 0 order by 1, 2`,
    ),
    featureGaps: await q(
      `select category, name, day::text, gap, sum(subjects)::int as n from metrics_feature_gaps where app = $1
       group by 1, 2, 3, 4 having sum(subjects) <> 0 order by 1, 2, 3, 4`,
    ),
    counts: await q(
      `select day::text, category, name, sum(events)::int as n from metrics_event_counts_daily where app = $1
       group by 1, 2, 3 order by 1, 2, 3`,
    ),
  };
};

describe('rollup shards', () => {
  it("spread concurrent writers over shards, and every figure sums to one ordered writer's", async () => {
    const stream = batches();
    // The same events under two apps: 'parallel' from three connections at once, the batches
    // dealt round-robin and each connection sending its own in reverse order; 'serial' in order.
    const clients = await clientsOnDistinctShards(3);
    try {
      await Promise.all(
        clients.map(async (client, k) => {
          const mine = stream.filter((_, i) => i % clients.length === k).reverse();
          for (const batch of mine) await insertEvents(client as never, 'parallel', batch);
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    for (const batch of stream)
      await insertEvents(
        db.pool,
        'serial',
        batch.map((e) => ({ ...e, id: crypto.randomUUID() })),
      );

    const { rows } = await db.pool.query<{ shards: number }>(
      `select count(distinct shard)::int as shards from metrics_active_gaps where app = 'parallel'`,
    );
    expect(rows[0]!.shards).toBe(3);

    const parallel = await summed('parallel');
    expect(parallel.gaps.length).toBeGreaterThan(0);
    expect(parallel.featureGaps.length).toBeGreaterThan(0);
    expect(parallel).toEqual(await summed('serial'));

    for (let day = 1; day <= 14; day++) {
      const asOf = new Date(`${addDays(BASE, day)}T00:00:00Z`);
      expect(await activeUsers(db.pool, { asOf, app: 'parallel' })).toEqual(
        await activeUsers(db.pool, { asOf, app: 'serial' }),
      );
    }
    const range = (app: string) => ({
      from: new Date(`${BASE}T00:00:00Z`),
      to: new Date(`${addDays(BASE, 14)}T00:00:00Z`),
      app,
    });
    const usage = await featureUsage(db.pool, range('parallel'));
    expect(usage.map((u) => u.name).sort()).toEqual(['enrichment_started', 'export_created']);
    expect(usage).toEqual(await featureUsage(db.pool, range('serial')));
  });
});
