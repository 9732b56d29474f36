import { createStripeWebhookHandler, type StripeWebhookOptions } from '@org/billing-ledger';
import { Hono } from 'hono';

/**
 * `POST /webhooks/stripe`: signed Stripe events into the ledger inbox. The whole contract
 * (signature on the raw body, secrets rotation, 1 MB limit, 2xx after commit, 503 when the
 * database is down) lives in @org/billing-ledger's framework-neutral handler; the route hands it
 * the raw Request untouched.
 */
export function stripeRoute(options: StripeWebhookOptions): Hono {
  const handler = createStripeWebhookHandler(options);
  const route = new Hono();
  route.post('/webhooks/stripe', (c) => handler(c.req.raw));
  return route;
}
