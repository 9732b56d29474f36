import { randomUUID } from 'node:crypto';
import { type StripeEvent, simulateStripeEvents } from '@org/billing-ledger/testing';
import { createPool, migrate, type Pool } from '@org/db';
import { createApiKey } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './support/app-process.ts';
import { childrenOf, type OwnServer, startOwnServer } from './support/own-server.ts';
import { sign } from './support/server.ts';

/**
 * The durability promise behind every 2xx: the webhook app runs as users run it (its own process,
 * in-process worker on) against a server whose default is `synchronous_commit = off`; the
 * postmaster and every backend are SIGKILLed while signed Stripe events and product events
 * arrive. After the restart, what was not acknowledged is delivered again, as Stripe and the
 * trackers do. Every acknowledged event must be stored exactly once, and the app must still answer.
 */

const stripeEvents: StripeEvent[] = simulateStripeEvents({
  seed: 7,
  customers: 60,
  start: Date.UTC(2026, 0, 1) / 1000,
  days: 120,
});
const BATCH = 20;
const productBatches = Array.from({ length: 60 }, (_, b) =>
  Array.from({ length: BATCH }, (_, i) => ({
    id: randomUUID(),
    name: 'report_viewed',
    category: 'core',
    userId: `user_${(b * BATCH + i) % 97}`,
    occurredAt: new Date(Date.now() - (b * BATCH + i) * 1000).toISOString(),
  })),
);

let server: OwnServer;
let pool: Pool;
let apiKey: string;
let app: AppProcess;

/** SIGKILL of the postmaster and of every process it started: what a power cut leaves behind. */
function killServerHard(): void {
  const postmaster = server.postmaster();
  const children = childrenOf(postmaster);
  process.kill(postmaster, 'SIGKILL');
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

async function postStripe(event: StripeEvent): Promise<number> {
  const body = JSON.stringify(event);
  try {
    const res = await fetch(`${app.url}/webhooks/stripe`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) },
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function postProducts(batch: (typeof productBatches)[number]): Promise<number> {
  try {
    const res = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      body: JSON.stringify({ events: batch }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  server = await startOwnServer('crash');
  pool = createPool(server.url, 4);
  await migrate(pool);
  // The server's default loses the last commits in a crash: the app must not rely on it.
  await pool.query('alter system set synchronous_commit = off');
  await pool.query('select pg_reload_conf()');
  apiKey = (await createApiKey(pool, { app: 'crash', name: 'crash test' })).key;
  app = await startAppProcess(server.url, { DATABASE_POOL_MAX: '8' });
}, 180_000);

afterAll(async () => {
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  await pool?.end().catch(() => {});
  await server?.remove();
});

describe('Postgres killed while Stripe and product apps post', () => {
  it('keeps every acknowledged event exactly once and the app answering', async () => {
    const ackedStripe = new Set<string>();
    const ackedBatches = new Set<number>();
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    let killed = false;
    let restarted: Promise<void> | undefined;

    // Four Stripe senders and two product senders, each in order through its share; the server is
    // killed once a third of the Stripe events are acknowledged, and restarted a little later.
    const stripeSender = async (lane: number) => {
      for (let i = lane; i < stripeEvents.length; i += 4) {
        const status = await postStripe(stripeEvents[i]!);
        count(status);
        if (status === 200) ackedStripe.add(stripeEvents[i]!.id);
        if (!killed && ackedStripe.size >= stripeEvents.length / 3) {
          killed = true;
          killServerHard();
          restarted = new Promise((r) => setTimeout(r, 1500)).then(() => server.restart());
        }
      }
    };
    const productSender = async (lane: number) => {
      for (let b = lane; b < productBatches.length; b += 2) {
        const status = await postProducts(productBatches[b]!);
        count(status);
        if (status === 200) ackedBatches.add(b);
      }
    };
    await Promise.all([0, 1, 2, 3].map(stripeSender).concat([0, 1].map(productSender)));
    expect(killed).toBe(true);
    await restarted;

    // Refusals while the server was away were retryable ones, never a client error.
    for (const status of statuses.keys()) expect([0, 200, 503]).toContain(status);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);

    // Redelivery of everything that was not acknowledged, until the app takes it.
    for (let round = 0; round < 60; round++) {
      const stripeLeft = stripeEvents.filter((e) => !ackedStripe.has(e.id));
      const batchesLeft = productBatches.map((_, b) => b).filter((b) => !ackedBatches.has(b));
      if (stripeLeft.length === 0 && batchesLeft.length === 0) break;
      for (const e of stripeLeft) if ((await postStripe(e)) === 200) ackedStripe.add(e.id);
      for (const b of batchesLeft) if ((await postProducts(productBatches[b]!)) === 200) ackedBatches.add(b);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(app.child.exitCode, `the app died:\n${app.output().slice(-2000)}`).toBeNull();
    expect(ackedStripe.size).toBe(stripeEvents.length);
    expect(ackedBatches.size).toBe(productBatches.length);

    const stored = await pool.query<{ id: string; n: number }>(
      'select id, count(*)::int as n from public.stripe_events where id = any($1) group by id',
      [stripeEvents.map((e) => e.id)],
    );
    expect(stored.rows.length).toBe(stripeEvents.length);
    expect(stored.rows.every((r) => r.n === 1)).toBe(true);

    // Product events reach `events` through the inbox drain, which the app runs every second.
    const ids = productBatches.flat().map((e) => e.id);
    let inEvents: { id: string; n: number }[] = [];
    for (let i = 0; i < 240; i++) {
      inEvents = (
        await pool.query<{ id: string; n: number }>(
          'select id::text, count(*)::int as n from public.events where id = any($1::uuid[]) group by id',
          [ids],
        )
      ).rows;
      if (inEvents.length === ids.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(inEvents.length).toBe(ids.length);
    expect(inEvents.every((r) => r.n === 1)).toBe(true);

    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
  }, 600_000);
});
