import type { Pool } from 'pg';
import { MetricsError } from '../errors.ts';
import { type IngestWindow, screenEvents } from '../ingest/screen.ts';
import { storeBatch } from '../ingest/store-batch.ts';
import { enqueueEvents, insertEvents } from '../store/events.ts';
import { createEventInboxDrainer, type EventInboxDrainer } from '../store/inbox.ts';
import { createPartitionKeeper } from '../store/partitions.ts';
import { classifyDbError } from '../store/pg-errors.ts';
import type { WriteLimits } from '../store/tx.ts';
import type { Transport } from '../tracker/transport.ts';

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
  /**
   * Refuse events dated outside this window around `now()` (as the HTTP ingest does); default
   * none: a server-side app may backfill any date.
   */
  window?: IngestWindow;
  now?: () => Date;
  /** `lock_timeout` / `statement_timeout` of each batch's write (default 5 s / 30 s). */
  limits?: WriteLimits;
}

/**
 * Writes batches into Postgres (server-side apps). One multi-row insert per batch, durable. Events
 * Postgres cannot store (NUL, unpaired surrogates, nesting beyond 32 levels, data it refuses) are
 * reported as `rejected` and the rest of the batch is stored.
 */
export function postgresTransport(options: PostgresTransportOptions): Transport {
  const ensurePartitions = createPartitionKeeper();
  const direct = options.mode !== 'inbox';
  const drainer = direct
    ? undefined
    : (options.drainer ?? createEventInboxDrainer({ pool: options.pool, onError: options.onDrainError }));
  const reportDrainError = (error: unknown) => options.onDrainError?.(error);
  const write = direct ? insertEvents : enqueueEvents;
  const now = options.now ?? (() => new Date());
  return {
    name: 'postgres',
    async send(app, batch) {
      const screened = screenEvents(batch, { now: now().getTime(), window: options.window ?? null });
      try {
        const accepted = screened.accepted.map((a) => a.event);
        let stored = { inserted: 0, duplicates: 0, rejected: [] as typeof screened.rejected };
        if (accepted.length > 0) {
          await ensurePartitions(options.pool, accepted);
          stored = await storeBatch(
            (events) => write(options.pool, app, events, {}, options.limits ?? {}),
            screened.accepted,
          );
          if (stored.inserted > 0) drainer?.kick();
        }
        return {
          ok: true,
          value: {
            inserted: stored.inserted,
            duplicates: stored.duplicates,
            rejected: [...screened.rejected, ...stored.rejected].sort((a, b) => a.index - b.index),
          },
        };
      } catch (cause) {
        const kind = classifyDbError(cause);
        const code = (cause as { code?: unknown }).code;
        // Connection and server-side failures are worth a retry; a bug with a SQLSTATE is not.
        const retryable =
          kind === 'unavailable' || kind === 'conflict' || (kind === 'other' && typeof code !== 'string');
        return {
          ok: false,
          error: new MetricsError('transport_failed', `postgres insert failed: ${(cause as Error).message}`, {
            retryable,
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
