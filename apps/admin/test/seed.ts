import {
  createEventRegistry,
  defaultEventRegistry,
  type EventHandler,
  receiveEvent,
  startQueue,
  startWorker,
  waitForDrain,
} from '@org/billing-ledger';
import { seededRandom, simulateStripeEvents } from '@org/billing-ledger/testing';
import type { Pool } from '@org/db';
import { runLifecycle } from '@org/lifecycle';
import { createTracker, enrichmentCatalog, postgresTransport } from '@org/metrics';

/** The seeded world: product usage and a Stripe event stream over [START, END). */
export const SEED_START = new Date('2026-01-01T00:00:00Z');
export const SEED_DAYS = 120;
export const SEED_END = new Date(SEED_START.getTime() + SEED_DAYS * 86_400_000); // 2026-05-01
export const APP = 'demo';

const DAY_MS = 86_400_000;
const sources = ['csv', 'api', 'crm', 'webhook'] as const;
const formats = ['csv', 'xlsx', 'json', 'crm_sync'] as const;

/** Product usage through the @org/metrics tracker and its Postgres transport (the SDK's own path). */
export async function seedProductEvents(
  pool: Pool,
  options: { users: number; seed: number },
): Promise<number> {
  const random = seededRandom(options.seed);
  const tracker = createTracker({
    app: APP,
    transport: postgresTransport({ pool }),
    catalog: enrichmentCatalog,
    batchSize: 500,
    maxQueue: 1_000_000,
    newId: (() => {
      let n = 0;
      return () => {
        n++;
        const hex = n.toString(16).padStart(12, '0');
        return `00000000-0000-4000-8000-${hex}`;
      };
    })(),
  });
  let count = 0;
  const track = (...args: Parameters<typeof tracker.track>) => {
    const r = tracker.track(...args);
    if (!r.ok) throw r.error;
    count++;
  };
  for (let u = 0; u < options.users; u++) {
    const userId = `user_${String(u).padStart(5, '0')}`;
    const signupDay = Math.floor(random() * (SEED_DAYS - 5));
    const engagement = 0.15 + random() * 0.6; // daily activity probability, decays over time
    const at = (day: number, minute: number) =>
      new Date(SEED_START.getTime() + day * DAY_MS + minute * 60_000);
    track('user_signed_up', { method: 'email' }, { userId, occurredAt: at(signupDay, 60) });
    for (let day = signupDay; day < SEED_DAYS; day++) {
      const p = engagement * Math.exp(-(day - signupDay) / 60);
      if (day !== signupDay && random() >= p) continue;
      const jobs = 1 + Math.floor(random() * 3);
      for (let j = 0; j < jobs; j++) {
        const jobId = `${userId}-${day}-${j}`;
        const source = sources[Math.floor(random() * sources.length)]!;
        track(
          'enrichment_started',
          { jobId, source, records: 100 },
          { userId, occurredAt: at(day, 120 + j * 10) },
        );
        if (random() < 0.8)
          track(
            'enrichment_completed',
            { jobId, source, records: 100, matched: 80, durationMs: 1200 },
            { userId, occurredAt: at(day, 125 + j * 10) },
          );
        else
          track(
            'enrichment_failed',
            { jobId, source, reason: 'timeout' },
            { userId, occurredAt: at(day, 125 + j * 10) },
          );
      }
      if (random() < 0.3)
        track(
          'export_created',
          { format: formats[Math.floor(random() * formats.length)]!, rows: 50 },
          { userId, occurredAt: at(day, 300) },
        );
      if (day - signupDay < 14 && random() < 0.05)
        track(
          'checkout_completed',
          { plan: 'pro', amount: 4900, currency: 'usd' },
          { userId, occurredAt: at(day, 400) },
        );
    }
  }
  await tracker.shutdown();
  return count;
}

/**
 * A Stripe event stream received into the inbox and processed by the ledger's own worker. The event
 * last `deadCount` invoice.paid events fail in its handler with no retries left, so it ends `dead`.
 */
export async function seedStripeEvents(
  pool: Pool,
  options: {
    customers: number;
    seed: number;
    deadCount?: number;
    concurrency?: number;
    drainTimeoutMs?: number;
  },
): Promise<{ events: number; dead: string[] }> {
  const events = simulateStripeEvents({
    seed: options.seed,
    customers: options.customers,
    start: Math.floor(SEED_START.getTime() / 1000),
    days: SEED_DAYS,
  });
  const normal = defaultEventRegistry();
  const n = options.deadCount ?? 0;
  const paid = events.filter((e) => e.type === 'invoice.paid' && normal.handlersFor(e.type).length > 0);
  const failing = new Set(n > 0 ? paid.slice(-n).map((e) => e.id) : []);
  const queue = await startQueue(pool, { retry: { retryLimit: 0 } });
  for (const event of events) await receiveEvent(pool, event as never, JSON.stringify(event));
  const wrapped: EventHandler = async (ctx) => {
    if (failing.has(ctx.event.id)) throw new Error('simulated handler failure: upstream timeout');
    for (const h of normal.handlersFor(ctx.event.type)) await h(ctx);
  };
  const registry = createEventRegistry().on(normal.types(), wrapped);
  // One fetch loop by default: the events a test expects dead are then the only dead ones.
  const worker = startWorker({ pool, queue, registry, concurrency: options.concurrency ?? 1, idleMs: 20 });
  const drained = await waitForDrain(pool, { timeoutMs: options.drainTimeoutMs ?? 120_000 });
  await worker.stop();
  await queue.stop();
  if (!drained) throw new Error('the seeded Stripe events did not drain');
  return { events: events.length, dead: [...failing] };
}

/** Lifecycle stages evaluated weekly over the seeded range, by the package's own run. */
export async function seedLifecycle(pool: Pool, options: { everyDays?: number } = {}): Promise<number> {
  let recorded = 0;
  const step = (options.everyDays ?? 7) * DAY_MS;
  for (let t = SEED_START.getTime() + step; t <= SEED_END.getTime(); t += step) {
    const result = await runLifecycle(pool, { app: APP, asOf: new Date(t) });
    recorded += result.recorded;
  }
  return recorded;
}
