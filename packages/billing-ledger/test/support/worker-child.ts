// A worker process for fault tests: `node --import tsx --conditions=@org/source test/support/worker-child.ts`.
// Env: DATABASE_URL, EXPIRE_SECONDS and MAINTENANCE_SECONDS (unset: the package's defaults), SLOW_MS.
// Every processed event also inserts one row into test_effects inside its transaction, so tests
// can count effects per event.
import { createPool } from '@org/db';
import { defaultEventRegistry, startQueue, startWorker } from '../../src/index.ts';

const pool = createPool(process.env.DATABASE_URL!, 8);
const slow = Number(process.env.SLOW_MS ?? 0);
const queue = await startQueue(pool, {
  retry: process.env.EXPIRE_SECONDS
    ? { expireInSeconds: Number(process.env.EXPIRE_SECONDS), retryDelaySeconds: 1 }
    : {},
  ...(process.env.MAINTENANCE_SECONDS
    ? { maintenanceIntervalSeconds: Number(process.env.MAINTENANCE_SECONDS) }
    : {}),
});
const registry = defaultEventRegistry().on('*', async ({ client, event }) => {
  await client.query('insert into test_effects (event_id, pid) values ($1, $2)', [event.id, process.pid]);
  if (slow) await new Promise((r) => setTimeout(r, slow));
});
const worker = startWorker({ pool, queue, registry, concurrency: 2, batchSize: 20, idleMs: 50 });
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await worker.stop();
  await queue.stop();
  await pool.end();
  process.exit(0);
});
