import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createStripeWebhookHandler,
  defaultEventRegistry,
  type EventRegistry,
  inboxStats,
  type RevenueSummary,
  revenueSummary,
  startQueue,
  startWorker,
  waitForDrain,
} from '@org/billing-ledger';
import {
  type SimCustomer,
  type StripeEvent,
  seededRandom,
  stripeEventsFromHistory,
} from '@org/billing-ledger/testing';
import type { Pool } from '@org/db';
import Stripe from 'stripe';
import { demoAccountId } from './product-events.ts';
import { buildWorld, type World } from './world.ts';

/** The world's Stripe history as the events Stripe would send, in time order. */
export function worldStripeEvents(world: World, options: { apiVersion?: string } = {}): StripeEvent[] {
  const customers: SimCustomer[] = world.customers
    .filter((c) => c.stripeCustomerId !== null)
    .map((c) => ({
      id: c.stripeCustomerId!,
      email: c.email,
      name: c.name,
      createdAt: Math.floor(c.signupAt.getTime() / 1000),
      subscriptions: c.sim,
      // Links the Stripe customer to the product user and account, as a real app's checkout does.
      metadata: { user_id: c.userId, account_id: demoAccountId(c.company) },
    }));
  return stripeEventsFromHistory(world.catalog, customers, {
    until: Math.floor(world.end.getTime() / 1000),
    prefix: `demo${world.seed}x`,
    catalogAt: Math.floor(world.start.getTime() / 1000) - 86_400,
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
  });
}

/**
 * Delivery order like Stripe's: at least once and not in order. Events are shuffled within
 * windows of `window` events and a share of them is delivered twice. Deterministic per seed.
 */
export function deliveryOrder(
  events: StripeEvent[],
  options: { seed: number; duplicateRate?: number; window?: number },
): StripeEvent[] {
  const random = seededRandom(options.seed ^ 0x5eed);
  const window = options.window ?? 40;
  const out: StripeEvent[] = [];
  for (let i = 0; i < events.length; i += window) {
    const chunk = events.slice(i, i + window);
    for (const e of [...chunk]) if (random() < (options.duplicateRate ?? 0.05)) chunk.push(e);
    for (let j = chunk.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [chunk[j], chunk[k]] = [chunk[k]!, chunk[j]!];
    }
    out.push(...chunk);
  }
  return out;
}

function toRequest(req: IncomingMessage, url: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(url, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: readableFrom(req), duplex: 'half' } : {}),
  } as RequestInit);
}

function readableFrom(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      req.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      req.on('end', () => controller.close());
      req.on('error', (e) => controller.error(e));
    },
    cancel() {
      req.destroy();
    },
  });
}

async function send(res: ServerResponse, response: Response) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

export interface WebhookEndpoint {
  url: string;
  secret: string;
  close(): Promise<void>;
}

/** The ledger's Stripe webhook endpoint (and /healthz) on a free loopback port, in this process. */
export async function startWebhookEndpoint(
  pool: Pool,
  secret = `whsec_demo_${randomBytes(12).toString('hex')}`,
): Promise<WebhookEndpoint> {
  const handler = createStripeWebhookHandler({
    pool,
    stripe: new Stripe('sk_test_demo_unused'),
    secrets: [secret],
  });
  const server = createServer((req, res) => {
    const url = `http://127.0.0.1${req.url ?? '/'}`;
    if (req.method === 'POST' && req.url === '/webhooks/stripe') {
      handler(toRequest(req, url)).then(
        (r) => send(res, r),
        () => send(res, Response.json({ error: 'internal' }, { status: 500 })),
      );
    } else {
      send(res, Response.json({ error: { code: 'not_found' } }, { status: 404 }));
    }
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POSTs events signed with `secret`, `concurrency` at a time; retries 5xx and network errors like Stripe does. */
export async function postSignedEvents(
  endpoint: { url: string; secret: string },
  events: StripeEvent[],
  options: { concurrency?: number; onPosted?: (n: number) => void } = {},
): Promise<{ accepted: number; duplicates: number; retries: number }> {
  const stripe = new Stripe('sk_test_demo_unused');
  let next = 0;
  let accepted = 0;
  let duplicates = 0;
  let retries = 0;
  async function one(e: StripeEvent) {
    const body = JSON.stringify(e);
    for (let attempt = 0; ; attempt++) {
      const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: endpoint.secret });
      try {
        const res = await fetch(endpoint.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        });
        const json = (await res.json().catch(() => ({}))) as { duplicate?: boolean };
        if (res.status === 200) {
          if (json.duplicate) duplicates++;
          else accepted++;
          return;
        }
        if (res.status < 500 || attempt >= 8) throw new Error(`webhook answered ${res.status} for ${e.id}`);
      } catch (error) {
        if (attempt >= 8) throw error;
      }
      retries++;
      await new Promise((r) => setTimeout(r, 100 * 2 ** Math.min(attempt, 5)));
    }
  }
  const workers = Array.from({ length: options.concurrency ?? 8 }, async () => {
    while (next < events.length) {
      const e = events[next++]!;
      await one(e);
      options.onPosted?.(1);
    }
  });
  await Promise.all(workers);
  return { accepted, duplicates, retries };
}

export interface StripeDemoOptions {
  pool: Pool;
  seed?: number;
  customers?: number;
  months?: number;
  start?: Date;
  /** The world, if the caller built it already (so product events use the same customers). */
  world?: World;
  registry?: EventRegistry;
  concurrency?: number;
  /** Where to POST (e.g. the running webhook app); default: the ledger's handler in this process. */
  endpoint?: WebhookEndpoint;
  onProgress?: (p: { phase: 'posting' | 'draining'; done: number; total: number }) => void;
}

export interface StripeDemoResult {
  world: { customers: number; payingCustomers: number; start: string; end: string };
  events: number;
  deliveries: number;
  accepted: number;
  duplicates: number;
  seconds: number;
  inbox: Awaited<ReturnType<typeof inboxStats>>;
  /** Revenue for the last month of the world (MRR as of its end). */
  summary: RevenueSummary;
}

/**
 * The Stripe half of `pnpm demo`: builds the world (or takes it), turns it into Stripe events,
 * starts the ledger's webhook endpoint and a worker in this process, POSTs every event signed,
 * shuffled and partly duplicated, waits for the queue to drain and returns the revenue summary.
 */
export async function runStripeDemo(options: StripeDemoOptions): Promise<StripeDemoResult> {
  const started = Date.now();
  const world =
    options.world ??
    buildWorld({
      seed: options.seed ?? 42,
      customers: options.customers ?? 2000,
      months: options.months ?? 12,
      ...(options.start ? { start: options.start } : {}),
    });
  const events = worldStripeEvents(world);
  const deliveries = deliveryOrder(events, { seed: world.seed });
  const queue = await startQueue(options.pool);
  const worker = startWorker({
    pool: options.pool,
    queue,
    registry: options.registry ?? defaultEventRegistry(),
    concurrency: 3,
    batchSize: 50,
    idleMs: 100,
  });
  const endpoint = options.endpoint ?? (await startWebhookEndpoint(options.pool));
  try {
    let posted = 0;
    const posting = await postSignedEvents(endpoint, deliveries, {
      concurrency: options.concurrency ?? 8,
      onPosted: (n) => {
        posted += n;
        if (posted % 250 === 0 || posted === deliveries.length)
          options.onProgress?.({ phase: 'posting', done: posted, total: deliveries.length });
      },
    });
    const poll = setInterval(async () => {
      const s = await inboxStats(options.pool).catch(() => null);
      if (s) options.onProgress?.({ phase: 'draining', done: s.processed + s.ignored, total: s.total });
    }, 500);
    try {
      if (!(await waitForDrain(options.pool, { timeoutMs: 30 * 60_000, intervalMs: 200 })))
        throw new Error('the ledger queue did not drain');
    } finally {
      clearInterval(poll);
    }
    const end = world.end;
    const from = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, end.getUTCDate()));
    const summary = await revenueSummary(options.pool, { from, to: end, currency: 'usd' });
    return {
      world: {
        customers: world.customers.length,
        payingCustomers: world.customers.filter((c) => c.stripeCustomerId).length,
        start: world.start.toISOString(),
        end: world.end.toISOString(),
      },
      events: events.length,
      deliveries: deliveries.length,
      accepted: posting.accepted,
      duplicates: posting.duplicates,
      seconds: (Date.now() - started) / 1000,
      inbox: await inboxStats(options.pool),
      summary,
    };
  } finally {
    if (!options.endpoint) await endpoint.close();
    await worker.stop();
    await queue.stop();
  }
}
