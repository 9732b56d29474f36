import { type HealthOptions, healthCheck } from '@org/billing-ledger';
import type { Pool } from '@org/db';
import { type EventInboxHealth, eventInboxHealth } from '@org/metrics';
import { Hono } from 'hono';

export interface HealthRouteOptions {
  pool: Pool;
  queueSchema?: string;
  /** Stripe inbox: oldest unprocessed event age that marks the app degraded. Default 300 s. */
  maxStripeBacklogAgeSeconds?: number;
  /** Product-event inbox: oldest undrained batch age that marks the app degraded. Default 60 s. */
  maxEventBacklogAgeSeconds?: number;
  /** A database that has not answered by then counts as down. Default 5,000 ms. */
  timeoutMs?: number;
}

/**
 * `GET /healthz`, what each intake path needs: the database (503 when it is down or silent), the
 * Stripe inbox backlog (`queue`: pending, processing, failed, dead, oldest age) and the product
 * event inbox backlog (`events`: pending, oldest age). `status` is `degraded` with reasons in
 * `problems` when events are dead or a backlog is older than its limit; both intakes still
 * accept then, so the answer stays 200 (a load balancer keeps routing to it).
 */
export function healthRoute(options: HealthRouteOptions): Hono {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxEventAge = options.maxEventBacklogAgeSeconds ?? 60;
  const ledgerOptions: HealthOptions = {
    timeoutMs,
    ...(options.queueSchema ? { queueSchema: options.queueSchema } : {}),
    ...(options.maxStripeBacklogAgeSeconds !== undefined
      ? { maxBacklogAgeSeconds: options.maxStripeBacklogAgeSeconds }
      : {}),
  };
  const route = new Hono();
  route.get('/healthz', async (c) => {
    const [ledger, events] = await Promise.all([
      healthCheck(options.pool, ledgerOptions),
      withTimeout(eventInboxHealth(options.pool), timeoutMs).catch(() => null),
    ]);
    const { status, db, queue, problems } = ledger.body;
    const body = { status, db, queue, events, problems: [...problems] };
    if (ledger.body.db === 'up' && events === null)
      body.problems.push('the product event inbox could not be read');
    else if (events?.oldestPendingAgeSeconds != null && events.oldestPendingAgeSeconds > maxEventAge)
      body.problems.push(
        `the oldest undrained product event batch is ${Math.round(events.oldestPendingAgeSeconds)} s old (over ${maxEventAge} s): is the inbox drainer running?`,
      );
    if (body.problems.length) body.status = 'degraded';
    return c.json(body, ledger.status as 200 | 503);
  });
  return route;
}

function withTimeout(promise: Promise<EventInboxHealth>, ms: number): Promise<EventInboxHealth> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
