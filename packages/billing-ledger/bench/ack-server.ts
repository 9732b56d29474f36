/**
 * The system under test of the ack-latency benchmark, in its own process as a deployment runs it:
 * the webhook handler on a Node HTTP server and, with ACK_WORKER=on, a worker in the same process
 * (the webhook app's default). The load generator stays in the parent, so its own timers never
 * share this event loop. Prints `listening <port>` when ready; on SIGTERM it drains (with a
 * worker), then prints `stats <json>` with this event loop's delay percentiles and exits.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createPool } from '@org/db';
import Stripe from 'stripe';
import {
  createStripeWebhookHandler,
  defaultEventRegistry,
  startQueue,
  startWorker,
  waitForDrain,
} from '../src/index.ts';

const url = process.env.ACK_DATABASE_URL;
const secret = process.env.ACK_SECRET;
if (!url || !secret) throw new Error('ack-server needs ACK_DATABASE_URL and ACK_SECRET');
const withWorker = process.env.ACK_WORKER === 'on';
// The webhook app's defaults (LEDGER_WORKER_CONCURRENCY, LEDGER_WORKER_BATCH_SIZE).
const workerConfig = {
  concurrency: Number(process.env.ACK_WORKER_CONCURRENCY ?? 2),
  batchSize: Number(process.env.ACK_WORKER_BATCH ?? 25),
};

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      req.on('data', (chunk: Buffer) => c.enqueue(new Uint8Array(chunk)));
      req.on('end', () => c.close());
      req.on('error', (e) => c.error(e));
    },
  });
  return new Request(`http://127.0.0.1${req.url}`, {
    method: req.method ?? 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
}

const pool = createPool(url, Number(process.env.ACK_POOL_MAX ?? 16));
const queue = await startQueue(pool);
const worker = withWorker
  ? startWorker({
      pool,
      queue,
      registry: defaultEventRegistry(),
      ...workerConfig,
    })
  : null;
const handler = createStripeWebhookHandler({
  pool,
  stripe: new Stripe('sk_test_bench_unused'),
  secrets: [secret],
});
const server = createServer((req, res) => {
  handler(toRequest(req)).then(async (r) => {
    res.writeHead(r.status, Object.fromEntries(r.headers));
    res.end(Buffer.from(await r.arrayBuffer()));
  });
});
server.keepAliveTimeout = 30_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);

process.once('SIGTERM', async () => {
  loopDelay.disable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  await new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  if (worker) await waitForDrain(pool, { timeoutMs: 300_000 });
  await worker?.stop();
  await queue.stop();
  await pool.end();
  process.stdout.write(
    `stats ${JSON.stringify({ ...(withWorker ? { worker: workerConfig } : {}), eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) } })}\n`,
  );
  process.exit(0);
});
