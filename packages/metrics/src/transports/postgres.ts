import type { Pool } from 'pg';
import { MetricsError } from '../errors.ts';
import { createPartitionKeeper, insertEvents } from '../store/events.ts';
import type { Transport } from '../tracker/transport.ts';

// Connection and server-side failures worth a retry; constraint violations and bad input are not.
const retryableSqlState = (code: string | undefined) =>
  code === undefined ||
  code.startsWith('08') ||
  code.startsWith('53') ||
  code.startsWith('57') ||
  code === '40001' ||
  code === '40P01';

/** Writes batches straight into Postgres (server-side apps). One multi-row insert per batch. */
export function postgresTransport(options: { pool: Pool }): Transport {
  const ensurePartitions = createPartitionKeeper();
  return {
    name: 'postgres',
    async send(app, batch) {
      try {
        await ensurePartitions(options.pool, batch);
        const r = await insertEvents(options.pool, app, batch);
        return { ok: true, value: { inserted: r.inserted } };
      } catch (cause) {
        const code = (cause as { code?: string }).code;
        return {
          ok: false,
          error: new MetricsError('transport_failed', `postgres insert failed: ${(cause as Error).message}`, {
            retryable: retryableSqlState(code),
            cause,
          }),
        };
      }
    },
  };
}
