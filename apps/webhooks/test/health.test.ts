import { randomUUID } from 'node:crypto';
import { type LedgerQueue, startQueue } from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import type { EventInboxDrainer } from '@org/metrics';
import { createApiKey } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, startApp } from './support/server.ts';

/** A drainer that never moves anything: what a deployment whose drainer died looks like. */
const stoppedDrainer: EventInboxDrainer = {
  drain: async () => 0,
  kick: () => {},
  close: async () => {},
  stats: () => ({ drains: 0, moved: 0, errors: 0 }),
};

/** `/healthz` reports what each intake path needs: database, Stripe inbox backlog, product inbox backlog. */
let db: TestDatabase;
let queue: LedgerQueue;
let app: Awaited<ReturnType<typeof startApp>>;
const f = eventFactory({ prefix: 'health' });
const T = 1_767_225_600;

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool);
  app = await startApp(db.pool, undefined, { eventDrainer: stoppedDrainer });
});
afterAll(async () => {
  await app?.close();
  await queue?.stop();
  await db?.drop();
});

const health = async () => {
  const res = await fetch(`${app.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { problems: string[] } };
};

describe('GET /healthz', () => {
  it('is ok with empty inboxes', async () => {
    expect(await health()).toEqual({
      status: 200,
      body: {
        status: 'ok',
        db: 'up',
        queue: { pending: 0, processing: 0, failed: 0, dead: 0, oldestPendingAgeSeconds: null },
        events: { pending: 0, oldestPendingAgeSeconds: null },
        problems: [],
      },
    });
  });

  it('reports the Stripe backlog and its age; degraded (still 200) when it is old or events are dead', async () => {
    const e = f.event('customer.created', T, customerObject('cus_health', 'h@example.test', 'H', T));
    expect((await postSigned(app.url, e)).status).toBe(200);
    const fresh = await health();
    expect(fresh.body).toMatchObject({ status: 'ok', queue: { pending: 1 } });
    await db.pool.query(
      `update public.stripe_events set received_at = now() - interval '1 hour' where id = $1`,
      [e.id],
    );
    const old = await health();
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ status: 'degraded', queue: { pending: 1 } });
    expect(
      (old.body.queue as { oldestPendingAgeSeconds: number }).oldestPendingAgeSeconds,
    ).toBeGreaterThanOrEqual(3600);
    expect(old.body.problems).toEqual([
      expect.stringMatching(/oldest unprocessed Stripe event is \d+ s old/),
    ]);
    await db.pool.query(`update public.stripe_events set status = 'dead' where id = $1`, [e.id]);
    const dead = await health();
    expect(dead.body).toMatchObject({
      status: 'degraded',
      queue: { pending: 0, dead: 1, oldestPendingAgeSeconds: null },
    });
    expect(dead.body.problems).toEqual([expect.stringMatching(/1 dead Stripe events/)]);
    await db.pool.query(`update public.stripe_events set status = 'processed' where id = $1`, [e.id]);
  });

  it('reports the product event inbox backlog and its age; degraded when a batch waits too long', async () => {
    const { key } = await createApiKey(db.pool, { app: 'health', name: 'health test' });
    const res = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        events: [
          {
            id: randomUUID(),
            name: 'report_viewed',
            category: 'core',
            userId: 'u1',
            occurredAt: new Date().toISOString(),
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    // No drainer runs (a stopped one, say): the batch waits in the inbox, here for two hours.
    await db.pool.query(`update public.metrics_event_inbox set received_at = now() - interval '2 hours'`);
    const h = await health();
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'degraded', events: { pending: 1 } });
    expect(
      (h.body.events as { oldestPendingAgeSeconds: number }).oldestPendingAgeSeconds,
    ).toBeGreaterThanOrEqual(7200);
    expect(h.body.problems).toEqual([
      expect.stringMatching(/oldest undrained product event batch is \d+ s old/),
    ]);
  });
});
