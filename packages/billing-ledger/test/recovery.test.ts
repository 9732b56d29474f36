import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverMissedEvents } from '../src/backfill/recover-events.ts';
import { defaultEventRegistry } from '../src/processing/registry.ts';
import { startWorker, waitForDrain } from '../src/processing/worker.ts';
import { type LedgerQueue, startQueue } from '../src/queue.ts';
import { receiveEvent } from '../src/store/inbox.ts';
import { parseEvent } from '../src/stripe/parse.ts';
import { createStripeApi } from '../src/stripe-api/client.ts';
import { type FakeStripe, startFakeStripe } from './support/fake-stripe.ts';

const NOW = 1_763_700_000;
let db: TestDatabase;
let fake: FakeStripe;
let queue: LedgerQueue;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeStripe({ now: NOW });
  queue = await startQueue(db.pool, { maintenanceIntervalSeconds: 1 });
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await fake.close();
  await db.drop();
});

describe('missed-webhook recovery', () => {
  it('feeds the events of the last 30 days that the inbox lacks through the normal intake, once', async () => {
    fake.seed({ customers: 12, days: 45, seed: 9 });
    const all = fake.all('event');
    const recent = all.filter((e) => e.created >= NOW - 30 * 86400);
    expect(recent.length).toBeLessThan(all.length);
    // Most webhooks were delivered; every third was lost.
    const delivered = recent.filter((_, i) => i % 3 !== 0);
    for (const e of delivered) {
      const parsed = parseEvent(e);
      if (!parsed.ok) throw parsed.error;
      await receiveEvent(db.pool, parsed.value, JSON.stringify(e));
    }
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const r = await recoverMissedEvents(db.pool, api, { asOf: new Date(NOW * 1000) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.listed).toBe(recent.length);
    expect(r.value.alreadyReceived).toBe(delivered.length);
    expect(r.value.recovered.sort()).toEqual(
      recent
        .filter((_, i) => i % 3 === 0)
        .map((e) => e.id)
        .sort(),
    );
    expect(r.value.invalid).toEqual([]);

    // The recovered events are processed by the ledger worker like any webhook.
    const worker = startWorker({ pool: db.pool, queue, registry: defaultEventRegistry(), idleMs: 50 });
    try {
      expect(await waitForDrain(db.pool, { timeoutMs: 60_000 })).toBe(true);
    } finally {
      await worker.stop();
    }
    const { rows } = await db.pool.query(
      `select status, count(*)::int as n from public.stripe_events group by status order by status`,
    );
    expect(rows.every((row) => row.status === 'processed' || row.status === 'ignored')).toBe(true);
    expect(rows.reduce((s, row) => s + row.n, 0)).toBe(recent.length);

    const again = await recoverMissedEvents(db.pool, api, { asOf: new Date(NOW * 1000) });
    expect(again.ok && again.value.recovered).toEqual([]);
  });

  it('reports a Stripe failure with the cursor it reached', async () => {
    fake.failNext(1, {
      status: 401,
      type: 'invalid_request_error',
      message: 'Invalid API Key provided',
      path: /^\/v1\/events$/,
    });
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    const r = await recoverMissedEvents(db.pool, api, { asOf: new Date(NOW * 1000) });
    expect(r.ok === false && r.error).toMatchObject({ code: 'stripe_error', status: 401 });
  });
});
