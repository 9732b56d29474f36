import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { EventRegistry, LedgerQueue, Worker } from '@org/billing-ledger';
import { type Database, migrate, openDatabase } from '@org/db';
import { createEventInboxDrainer, maintainEventPartitions } from '@org/metrics';
import { startLedgerRuntime } from '@org/wiring';
import { createApp } from './app.ts';
import type { WebhooksEnv } from './env.ts';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  queue: LedgerQueue;
  worker: Worker | null;
  close(): Promise<void>;
}

/**
 * Composition: database (embedded unless DATABASE_URL), migrations, queue, the HTTP server and,
 * unless LEDGER_WORKER=off, an in-process worker. `registry` lets a deployment add handlers.
 */
export async function startServer(
  env: WebhooksEnv,
  options: { registry?: EventRegistry; log?: (message: string, error?: unknown) => void } = {},
): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  const db = await openDatabase(env);
  await migrate(db.pool);
  const runsWorker = env.LEDGER_WORKER === 'on';
  // The same queue, worker, Stripe client and billing jobs as `org-reports worker` (@org/wiring).
  // The cron clock of the scheduled billing jobs runs where a worker runs.
  const ledger = await startLedgerRuntime(db.pool, env, {
    worker: runsWorker,
    schedule: true,
    ...(options.registry ? { registry: options.registry } : {}),
    onEventError: (eventId, error, dead) =>
      log(`event ${eventId} failed${dead ? ' (dead)' : ', will retry'}: ${error.message}`),
    onJobResult: (job) => log(`scheduled job ${job} done`),
  });
  const { queue, worker, stripe } = ledger;
  // Accepted product events move from the inbox into `events` after each accepted batch, and every
  // second for batches another process left behind.
  const eventDrainer = createEventInboxDrainer({
    pool: db.pool,
    intervalMs: 1000,
    onError: (error) => log(`event inbox drain failed: ${(error as Error).message}`),
  });
  // The monthly partitions of `events` for the ingest window and 3 months ahead, at start and
  // hourly, so ingest requests find them in place instead of creating them.
  const maintainPartitions = () =>
    maintainEventPartitions(db.pool, { asOf: new Date() }).then(
      (r) => {
        if (r.skipped.length > 0)
          log(`event partitions busy, retried within the hour: ${r.skipped.join(', ')}`);
      },
      (error: unknown) => log(`event partition maintenance failed: ${(error as Error).message}`),
    );
  await maintainPartitions();
  const partitionTimer = setInterval(maintainPartitions, 3_600_000);
  partitionTimer.unref();
  const app = createApp({
    pool: db.pool,
    eventDrainer,
    stripe,
    webhookSecrets: (env.STRIPE_WEBHOOK_SECRET ?? '').split(',').filter(Boolean),
    log,
  });
  const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://${env.HOST}:${port}`,
    port,
    db,
    queue,
    worker,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(partitionTimer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await eventDrainer
        .close()
        .catch((error: unknown) => log(`event inbox drain failed: ${(error as Error).message}`));
      await ledger.stop();
      await db.close();
    },
  };
}
