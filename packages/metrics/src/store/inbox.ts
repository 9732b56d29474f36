import { withTransaction } from '@org/db';
import type { Pool, PoolClient } from 'pg';

/** Rows one drain statement moves at most (one transaction, one run of the rollup triggers). */
export const DRAIN_MAX_ROWS = 50_000;

/**
 * Moves everything in the event inbox into `events` (and so into the rollups), one statement per
 * `maxRows`, and returns how many rows it moved. Waits for a drain running elsewhere, then moves
 * what is left: rows enqueued before the call are in `events` when it resolves.
 */
export async function drainEventInbox(
  pool: Pool,
  options: { maxRows?: number | undefined } = {},
): Promise<number> {
  const maxRows = options.maxRows ?? DRAIN_MAX_ROWS;
  let total = 0;
  for (;;) {
    // Derived work, redone from the inbox if lost: a crash before the commit is flushed leaves the
    // rows in the inbox (delete and insert are one transaction), so it may commit asynchronously.
    const { rows } = await withTransaction(
      pool,
      (client) =>
        client.query<{ moved: number }>('select public.metrics_drain_event_inbox($1, true) as moved', [
          maxRows,
        ]),
      { commit: 'async' },
    );
    const moved = rows[0]?.moved ?? 0;
    total += moved;
    if (moved < maxRows) return total;
  }
}

export interface EventInboxDrainer {
  /** Resolves when a drain that started after this call has finished (concurrent calls share it). */
  drain(): Promise<number>;
  /** Starts a drain in the background (errors go to `onError`). */
  kick(): void;
  /** Stops the timer and drains once more. */
  close(): Promise<void>;
  stats(): { drains: number; moved: number; errors: number };
}

/**
 * Drains the event inbox from this process: on demand (`drain`, `kick`) and, with `intervalMs`,
 * periodically, so rows another process left behind are moved too. Calls made while a drain runs
 * are served together by the next one, so under load each drain moves many clients' batches.
 */
export function createEventInboxDrainer(options: {
  pool: Pool;
  /** Background drain period; 0 (the default) = only on demand. */
  intervalMs?: number;
  maxRows?: number;
  onError?: ((error: unknown) => void) | undefined;
}): EventInboxDrainer {
  const s = { drains: 0, moved: 0, errors: 0 };
  let running: Promise<number> | null = null;
  let queued: Promise<number> | null = null;

  const pass = (): Promise<number> => {
    s.drains++;
    const p = drainEventInbox(options.pool, { maxRows: options.maxRows }).then(
      (moved) => {
        s.moved += moved;
        return moved;
      },
      (error: unknown) => {
        s.errors++;
        throw error;
      },
    );
    running = p;
    const clear = () => {
      if (running === p) running = null;
    };
    p.then(clear, clear);
    return p;
  };

  function drain(): Promise<number> {
    if (!running) return pass();
    // A drain is running and may have read the inbox before the caller's rows: queue one more,
    // shared by everyone who asks until it starts.
    if (!queued) {
      const after = running.catch(() => 0);
      queued = after.then(() => {
        queued = null;
        return pass();
      });
    }
    return queued;
  }

  const kick = () => {
    drain().catch((error: unknown) => options.onError?.(error));
  };

  const timer = options.intervalMs ? setInterval(kick, options.intervalMs) : undefined;
  timer?.unref();

  return {
    drain,
    kick,
    async close() {
      if (timer) clearInterval(timer);
      await drain();
    },
    stats: () => ({ ...s }),
  };
}

export interface EventInboxHealth {
  /** Accepted events not yet moved into `events` (and so not yet in the rollups). */
  pending: number;
  /** Age of the oldest of them in seconds (by its `received_at`), or null when the inbox is empty. */
  oldestPendingAgeSeconds: number | null;
}

/**
 * The event inbox backlog, for health checks: a growing `pending` or an old oldest row means no
 * drainer is keeping up (or none runs). Measured against the database clock.
 */
export async function eventInboxHealth(db: Pool | PoolClient): Promise<EventInboxHealth> {
  const { rows } = await db.query<{ pending: number; age: number | null }>(
    `select count(*)::int as pending,
            extract(epoch from (clock_timestamp() - min(received_at)))::float8 as age
     from public.metrics_event_inbox`,
  );
  const row = rows[0];
  const age = row?.age ?? null;
  return {
    pending: row?.pending ?? 0,
    oldestPendingAgeSeconds: age === null ? null : Math.max(0, Math.round(age * 1000) / 1000),
  };
}
