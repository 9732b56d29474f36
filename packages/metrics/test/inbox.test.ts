import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEventInboxDrainer,
  createPartitionKeeper,
  createTracker,
  drainEventInbox,
  enqueueEvents,
  enrichmentCatalog,
  insertEvents,
  type ParsedWireEvent,
  postgresTransport,
} from '../src/index.ts';

// Every table the rollup triggers write, each row as text in a stable order. The signed-delta
// tables are summed over their writers' shards, and zero sums are left out (an upsert can leave
// them behind).
const ROLLUPS: Record<string, string> = {
  metrics_users:
    'select app, user_id, account_id, first_seen_at, signed_up_at, last_seen_at from metrics_users',
  metrics_user_activity_daily:
    'select app, user_id, day, events, first_at, last_at from metrics_user_activity_daily',
  metrics_account_activity_daily: 'select * from metrics_account_activity_daily',
  metrics_user_active_days: 'select * from metrics_user_active_days',
  metrics_active_gaps:
    'select app, day, gap, sum(users) from metrics_active_gaps group by 1, 2, 3 having sum(users) <> 0',
  metrics_user_active_months: 'select * from metrics_user_active_months',
  metrics_user_active_weeks: 'select * from metrics_user_active_weeks',
  metrics_event_counts_daily:
    'select app, day, category, name, sum(events) from metrics_event_counts_daily group by 1, 2, 3, 4',
  metrics_feature_subjects: 'select * from metrics_feature_subjects',
  metrics_feature_gaps:
    'select app, category, name, day, gap, sum(subjects) from metrics_feature_gaps group by 1, 2, 3, 4, 5 having sum(subjects) <> 0',
  metrics_user_first_events: 'select * from metrics_user_first_events',
};

async function snapshot(db: TestDatabase): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, sql] of Object.entries(ROLLUPS)) {
    const { rows } = await db.pool.query<{ r: string }>(`select s::text as r from (${sql}) s order by 1`);
    out[table] = rows.map((x) => x.r);
  }
  return out;
}

/** A deterministic stream: 40 users and anonymous visitors over 20 days of March, out of order. */
function stream(count: number): ParsedWireEvent[] {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const names = [
    ['feature', 'export_created'],
    ['feature', 'enrichment_started'],
    ['navigation', 'page_viewed'],
    ['lifecycle', 'user_signed_up'],
    ['system', 'heartbeat'],
  ] as const;
  return Array.from({ length: count }, () => {
    const [category, name] = names[rand(names.length)]!;
    const user = rand(50);
    return {
      id: randomUUID(),
      name,
      category,
      userId: user < 40 ? `u${user}` : null,
      anonymousId: user < 40 ? null : `v${user}`,
      accountId: user < 40 ? `acct${user % 6}` : null,
      properties: { n: rand(100) },
      occurredAt: new Date(Date.UTC(2026, 2, 1 + rand(20), rand(24), rand(60))).toISOString(),
    };
  });
}

const count = async (db: TestDatabase, table: string) =>
  Number((await db.pool.query(`select count(*) as n from ${table}`)).rows[0].n);

let direct: TestDatabase;
let buffered: TestDatabase;
beforeAll(async () => {
  [direct, buffered] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([direct.drop(), buffered.drop()]);
});

describe('event inbox', () => {
  it('builds the same rollups as direct inserts, whatever the batches and drains', async () => {
    const events = stream(3000);
    const keep = createPartitionKeeper();
    await keep(direct.pool, events);
    await keep(buffered.pool, events);
    for (let i = 0; i < events.length; i += 50)
      await insertEvents(direct.pool, 'app', events.slice(i, i + 50));

    // Batches of 50 from 6 concurrent writers, drained meanwhile by two drainers in statements of
    // at most 137 rows, then a resend of a quarter of the stream.
    const chunks = Array.from({ length: events.length / 50 }, (_, i) => events.slice(i * 50, i * 50 + 50));
    const drainers = [1, 2].map(() => createEventInboxDrainer({ pool: buffered.pool, maxRows: 137 }));
    let inserted = 0;
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = w; i < chunks.length; i += 6) {
          const r = await enqueueEvents(buffered.pool, 'app', chunks[i]!);
          inserted += r.inserted;
          drainers[i % 2]!.kick();
        }
      }),
    );
    expect(inserted).toBe(events.length);
    const resent = await enqueueEvents(buffered.pool, 'app', events.slice(0, 750));
    expect(resent.inserted).toBeLessThanOrEqual(750);
    await Promise.all(drainers.map((d) => d.close()));
    expect(drainers.reduce((n, d) => n + d.stats().errors, 0)).toBe(0);

    expect(await count(buffered, 'metrics_event_inbox')).toBe(0);
    expect(await count(buffered, 'events')).toBe(events.length);
    expect(await snapshot(buffered)).toEqual(await snapshot(direct));
  });

  it('keeps every row in exactly one table when the draining backend dies mid-drain', async () => {
    const db = await createTestDatabase();
    try {
      const events = stream(400);
      await createPartitionKeeper()(db.pool, events);
      await enqueueEvents(db.pool, 'app', events);
      const victim = await db.pool.connect();
      victim.on('error', () => {});
      const pid = (await victim.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      await victim.query('begin');
      // The whole inbox moved, uncommitted, when the backend is killed.
      expect((await victim.query('select public.metrics_drain_event_inbox(1000, true) as n')).rows[0].n).toBe(
        400,
      );
      await db.pool.query('select pg_terminate_backend($1)', [pid]);
      await expect(victim.query('commit')).rejects.toThrow();
      victim.release(true);

      expect(await count(db, 'metrics_event_inbox')).toBe(400);
      expect(await count(db, 'events')).toBe(0);
      expect(await count(db, 'metrics_user_activity_daily')).toBe(0);
      expect(await drainEventInbox(db.pool, { maxRows: 150 })).toBe(400);
      expect(await count(db, 'metrics_event_inbox')).toBe(0);
      expect(await count(db, 'events')).toBe(400);
    } finally {
      await db.drop();
    }
  });

  it('refuses rows that events would refuse, storing nothing of the batch', async () => {
    const db = await createTestDatabase();
    try {
      const [good, bad] = stream(2);
      await expect(enqueueEvents(db.pool, 'app', [good!, { ...bad!, name: 'Not Snake' }])).rejects.toThrow(
        /events_name_check/,
      );
      await expect(enqueueEvents(db.pool, 'Bad App', [good!])).rejects.toThrow(/events_app_check/);
      expect(await count(db, 'metrics_event_inbox')).toBe(0);
      await expect(db.pool.query('select public.metrics_drain_event_inbox(0)')).rejects.toThrow(
        /p_max_rows must be >= 1/,
      );
    } finally {
      await db.drop();
    }
  });

  it('serves concurrent drain requests with at most two drains', async () => {
    const db = await createTestDatabase();
    try {
      const events = stream(500);
      await createPartitionKeeper()(db.pool, events);
      await enqueueEvents(db.pool, 'app', events);
      const drainer = createEventInboxDrainer({ pool: db.pool });
      await Promise.all(Array.from({ length: 10 }, () => drainer.drain()));
      expect(drainer.stats()).toEqual({ drains: 2, moved: 500, errors: 0 });
      expect(await count(db, 'events')).toBe(500);
    } finally {
      await db.drop();
    }
  });

  it('lets the Postgres transport resolve a send once its batch is in events, or write directly', async () => {
    const db = await createTestDatabase();
    try {
      for (const mode of ['inbox', 'direct'] as const) {
        const tracker = createTracker({
          app: mode,
          catalog: enrichmentCatalog,
          transport: postgresTransport({ pool: db.pool, mode }),
          batchSize: 40,
          concurrency: 3,
          flushIntervalMs: 60_000,
        });
        for (let i = 0; i < 200; i++)
          tracker.track(
            'export_created',
            { format: 'csv', rows: i },
            { userId: `p${i % 9}`, occurredAt: new Date('2026-04-02T10:00:00Z') },
          );
        await tracker.flush();
        const { rows } = await db.pool.query(
          `select (select count(*)::int from events where app = $1) as events,
                  (select sum(events)::int from metrics_user_activity_daily where app = $1) as rolled_up`,
          [mode],
        );
        expect(rows[0]).toEqual({ events: 200, rolled_up: 200 });
        expect(tracker.stats()).toMatchObject({ sent: 200, inserted: 200, failed: 0 });
        await tracker.shutdown();
      }
      expect(await count(db, 'metrics_event_inbox')).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
