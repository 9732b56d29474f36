import { createIngestHandler, type IngestHandlerOptions } from '@org/metrics';
import { Hono } from 'hono';

/**
 * `POST /v1/events`: product events from server-side trackers (`httpTransport` of @org/metrics).
 * The logic (API key, limits, validation, time window, per-event refusals in a 207, 503 while the
 * database is unavailable, durable insert) is @org/metrics' ingest handler; this route only hands
 * it the raw Request and the socket address.
 */
export function eventsRoute(options: IngestHandlerOptions): Hono {
  const handler = createIngestHandler(options);
  const route = new Hono();
  route.post('/v1/events', (c) => {
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    return handler(c.req.raw, { remoteAddress: incoming?.socket?.remoteAddress });
  });
  return route;
}
