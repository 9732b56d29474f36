import type { StripeWebhookOptions } from '@org/billing-ledger';
import type { Pool } from '@org/db';
import type { EventInboxDrainer } from '@org/metrics';
import { Hono } from 'hono';
import { eventsRoute } from './routes/events.ts';
import { healthRoute } from './routes/health.ts';
import { stripeRoute } from './routes/stripe.ts';

/** What the routes need; built once by main.ts (or a test). */
export interface AppDeps {
  pool: Pool;
  stripe: StripeWebhookOptions['stripe'];
  /** Stripe signing secrets (STRIPE_WEBHOOK_SECRET, comma-separated). */
  webhookSecrets: string[];
  queueSchema?: string;
  /** Moves accepted product events from the inbox into `events` (default: the route's own). */
  eventDrainer?: EventInboxDrainer;
  /** Failures worth a log line (never secrets or payloads). */
  log?: (message: string, error?: unknown) => void;
}

/** The HTTP app: one line per route module. */
export function createApp(deps: AppDeps): Hono {
  const routes: Hono[] = [
    healthRoute({ pool: deps.pool, ...(deps.queueSchema ? { queueSchema: deps.queueSchema } : {}) }),
    eventsRoute({
      pool: deps.pool,
      ...(deps.eventDrainer ? { drainer: deps.eventDrainer } : {}),
      onError: (error) => deps.log?.('event ingest: could not store or drain events', error),
    }),
    stripeRoute({
      pool: deps.pool,
      stripe: deps.stripe,
      secrets: deps.webhookSecrets,
      ...(deps.queueSchema ? { queueSchema: deps.queueSchema } : {}),
      onError: (error) => deps.log?.('stripe webhook: could not store event', error),
    }),
  ];
  const app = new Hono();
  for (const route of routes) app.route('/', route);
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((error, c) => {
    deps.log?.('unhandled error', error);
    return c.json({ error: { code: 'internal', message: 'Internal error' } }, 500);
  });
  return app;
}
