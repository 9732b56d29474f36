import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsError } from '../src/errors.ts';
import {
  createTracker,
  enrichmentCatalog,
  type ParsedWireEvent,
  postgresTransport,
  type Transport,
} from '../src/index.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const at = new Date('2026-05-01T12:00:00Z');

/** Wraps the real Postgres transport and makes its first N sends fail with a retryable error. */
function flaky(inner: Transport, failures: number): Transport & { calls: number } {
  const t = {
    ...inner,
    name: 'flaky',
    calls: 0,
    async send(app: string, batch: readonly ParsedWireEvent[]) {
      t.calls++;
      if (t.calls <= failures)
        return {
          ok: false as const,
          error: new MetricsError('transport_failed', 'connection reset', { retryable: true }),
        };
      return inner.send(app, batch);
    },
  };
  return t;
}

describe('tracker', () => {
  it('batches by size, flushes on shutdown and writes through the Postgres transport', async () => {
    const tracker = createTracker({
      app: 'trk',
      catalog: enrichmentCatalog,
      transport: postgresTransport({ pool: db.pool }),
      batchSize: 10,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 25; i++) {
      const r = tracker.track(
        'enrichment_started',
        { jobId: `j${i}`, source: 'csv', records: 10 },
        { userId: `u${i % 3}`, occurredAt: at },
      );
      expect(r.ok).toBe(true);
    }
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({
      tracked: 25,
      sent: 25,
      inserted: 25,
      batches: 3,
      queued: 0,
      dropped: 0,
    });
    const { rows } = await db.pool.query(`select count(*)::int as n from events where app = 'trk'`);
    expect(rows[0].n).toBe(25);
  });

  it('rejects unknown names and invalid properties at compile time and at runtime', async () => {
    const tracker = createTracker({
      app: 'trk',
      catalog: enrichmentCatalog,
      transport: postgresTransport({ pool: db.pool }),
    });
    // @ts-expect-error not in the catalog
    const unknown = tracker.track('made_up', {}, { userId: 'u' });
    const props = { jobId: 'j', source: 'csv', records: 'ten' } as const;
    // @ts-expect-error records must be a number
    const wrong = tracker.track('enrichment_started', props, { userId: 'u' });
    const noSubject = tracker.track('heartbeat', {}, {});
    expect([unknown.ok, wrong.ok, noSubject.ok]).toEqual([false, false, false]);
    expect(tracker.stats().invalid).toBe(3);
    await tracker.shutdown();
  });

  it('retries with backoff without duplicating events', async () => {
    const transport = flaky(postgresTransport({ pool: db.pool }), 2);
    const tracker = createTracker({
      app: 'retry',
      catalog: enrichmentCatalog,
      transport,
      batchSize: 5,
      retryBaseMs: 5,
    });
    for (let i = 0; i < 5; i++)
      tracker.track('export_created', { format: 'csv', rows: i }, { userId: 'r1', occurredAt: at });
    await tracker.flush();
    expect(tracker.stats()).toMatchObject({ sent: 5, inserted: 5, retries: 2, failed: 0 });
    const { rows } = await db.pool.query(`select count(*)::int as n from events where app = 'retry'`);
    expect(rows[0].n).toBe(5);
    await tracker.shutdown();
  });

  it('gives up after the last retry and reports the batch', async () => {
    const failed: number[] = [];
    const transport = flaky(postgresTransport({ pool: db.pool }), 100);
    const tracker = createTracker({
      app: 'giveup',
      catalog: enrichmentCatalog,
      transport,
      batchSize: 2,
      maxRetries: 2,
      retryBaseMs: 1,
      onError: (_e, batch) => failed.push(batch.length),
    });
    tracker.track('heartbeat', {}, { userId: 'g' });
    tracker.track('heartbeat', {}, { userId: 'g' });
    await tracker.flush();
    expect(failed).toEqual([2]);
    expect(tracker.stats()).toMatchObject({ failed: 2, retries: 2, sent: 0 });
    await tracker.shutdown();
  });

  it('bounds memory: drops the oldest queued events and counts them', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inner = postgresTransport({ pool: db.pool });
    const slow: Transport = {
      ...inner,
      name: 'slow',
      send: async (app, batch) => {
        await gate;
        return inner.send(app, batch);
      },
    };
    const tracker = createTracker({
      app: 'bounded',
      catalog: enrichmentCatalog,
      transport: slow,
      batchSize: 10,
      maxQueue: 20,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 100; i++)
      tracker.track('export_created', { format: 'json', rows: i }, { userId: 'b', occurredAt: at });
    // 10 in flight, 20 queued, 70 dropped.
    expect(tracker.stats()).toMatchObject({ tracked: 100, inFlight: 10, queued: 20, dropped: 70 });
    release();
    await tracker.shutdown();
    const { rows } = await db.pool.query(
      `select (properties->>'rows')::int as r from events where app = 'bounded' order by 1`,
    );
    const kept = rows.map((r) => r.r);
    expect(kept).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 20 }, (_, i) => 80 + i),
    ]);
    const dropNewest = createTracker({
      app: 'bounded',
      catalog: enrichmentCatalog,
      transport: slow,
      batchSize: 10,
      maxQueue: 10,
      dropPolicy: 'drop_newest',
    });
    const results = Array.from(
      { length: 30 },
      (_, i) => dropNewest.track('heartbeat', {}, { userId: `n${i}` }).ok,
    );
    expect(results.filter((ok) => !ok)).toHaveLength(10);
    await dropNewest.shutdown();
  });
});
