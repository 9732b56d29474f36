import { healthCheck } from '@org/billing-ledger';
import type { Pool } from '@org/db';
import { Hono } from 'hono';

/** `GET /healthz`: `{ status, db, queue: { pending, processing, failed, dead, oldestPendingAgeSeconds } }`. */
export function healthRoute(options: { pool: Pool; queueSchema?: string }): Hono {
  const route = new Hono();
  route.get('/healthz', async (c) => {
    const { status, body } = await healthCheck(
      options.pool,
      options.queueSchema ? { queueSchema: options.queueSchema } : {},
    );
    return c.json(body, status as 200 | 503);
  });
  return route;
}
