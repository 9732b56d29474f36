import type { Pool } from 'pg';
import { MetricsError } from '../errors.ts';
import { createPartitionKeeper, enqueueEvents, insertEvents } from '../store/events.ts';
import { createEventInboxDrainer, type EventInboxDrainer } from '../store/inbox.ts';
import type { Transport } from '../tracker/transport.ts';

// Connection and server-side failures worth a retry; constraint violations and bad input are not.
const retryableSqlState = (code: string | undefined) =>
  code === undefined ||
  code.startsWith('08') ||
  code.startsWith('53') ||
  code.startsWith('57') ||
  code === '40001' ||
  code === '40P01';

export interface PostgresTransportOptions {
  pool: Pool;
  /**
   * `direct` (default): each batch is one insert into `events`, which runs the rollup triggers in
   * the same statement; batches of distinct users from concurrent sends run in parallel.
   * `inbox`: each batch is one insert into the event inbox (no rollup work), and a drain moves
   * what the inbox holds into `events` in one statement; the tracker's `flush()` and `shutdown()`
   * wait for it. Shorter writes, one drain at a time.
   */
  mode?: 'inbox' | 'direct';
  /** The drainer to use (e.g. one shared with an ingest handler); default: the transport's own. */
  drainer?: EventInboxDrainer;
  /** A failed drain (the batches stay stored in the inbox and the next drain moves them). */
  onDrainError?: (error: unknown) => void;
}

/** Writes batches into Postgres (server-side apps). One multi-row insert per batch. */
export function postgresTransport(options: PostgresTransportOptions): Transport {
  const ensurePartitions = createPartitionKeeper();
  const direct = options.mode !== 'inbox';
  const drainer = direct
    ? undefined
    : (options.drainer ?? createEventInboxDrainer({ pool: options.pool, onError: options.onDrainError }));
  const reportDrainError = (error: unknown) => options.onDrainError?.(error);
  return {
    name: 'postgres',
    async send(app, batch) {
      try {
        await ensurePartitions(options.pool, batch);
        const r = await (direct ? insertEvents : enqueueEvents)(options.pool, app, batch);
        drainer?.kick();
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
    async flush() {
      await drainer?.drain().catch(reportDrainError);
    },
    async close() {
      if (!drainer) return;
      if (options.drainer) await drainer.drain().catch(reportDrainError);
      else await drainer.close().catch(reportDrainError);
    },
  };
}
