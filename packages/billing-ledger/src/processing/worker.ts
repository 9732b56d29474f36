import { withTransaction } from '@org/db';
import type pg from 'pg';
import {
  type ClaimedJob,
  completeJobs,
  failJob,
  fetchJobs,
  type LedgerQueue,
  releaseJobs,
  STRIPE_EVENTS_QUEUE,
} from '../queue.ts';
import { type ObjectFetcher, processBatch, processEvent, recordFailure } from './processor.ts';
import type { EventRegistry } from './registry.ts';

export interface WorkerOptions {
  pool: pg.Pool;
  queue: LedgerQueue;
  registry: EventRegistry;
  /** Parallel fetch loops in this process. Default 2. */
  concurrency?: number;
  /** Events processed per transaction. Default 100. */
  batchSize?: number;
  /**
   * Jobs fetched at once, then processed `batchSize` at a time. pg-boss 10's fetch sorts every
   * waiting job of the queue, so its cost grows with the backlog, not with what it takes: fetching
   * more at once spreads that cost while transactions stay short. Default: `batchSize`, at least 100.
   */
  fetchSize?: number;
  /** Sleep when the queue is empty. Default 250 ms. */
  idleMs?: number;
  fetchObject?: ObjectFetcher;
  /** Called for each failed attempt (the app logs it). */
  onError?: (eventId: string, error: Error, dead: boolean) => void;
  /** Called when a batch falls back to one-by-one processing, with the reason. */
  onBatchError?: (error: unknown) => void;
  /** Called after each batch with the number of jobs handled (not those deferred back to the queue). */
  onBatch?: (handled: number) => void;
}

export interface Worker {
  /** Stops fetching; waits for the batches in flight to finish. */
  stop(): Promise<void>;
  readonly processed: number;
}

interface JobData {
  eventId: string;
  /** See `eventScope` (jobs enqueued before scopes existed have none). */
  scope?: string;
}

/**
 * A queue consumer for Stripe events. Several workers (in one or many processes) can run on one
 * database: pg-boss hands each job to one fetcher (SKIP LOCKED), and processing locks the inbox
 * row and skips events already done, so each event takes effect once.
 *
 * A job is completed inside the transaction that processes its event, so from that transaction's
 * first statement on, its row is locked and pg-boss's expiry cannot take it, however long the
 * handlers run. Before that, a fetched job is only covered by its expiry (`expireInSeconds`): a
 * loop that processes its events one by one gives the jobs it has not started back to the queue
 * (no attempt counted) once half that time has passed since it fetched them, so a live worker's
 * jobs are not retried under it. pg-boss 10 has no heartbeat; this needs none.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { pool, queue, registry } = options;
  const name = STRIPE_EVENTS_QUEUE;
  const schema = queue.schema;
  const batchSize = options.batchSize ?? 100;
  const fetchSize = Math.max(options.fetchSize ?? Math.max(batchSize, 100), 1);
  const idleMs = options.idleMs ?? 250;
  let stopping = false;
  let processed = 0;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /** Returns the number of jobs done with (completed or failed); deferred jobs are back on the queue. */
  async function handleBatch(jobs: ClaimedJob<JobData>[], fetchedAt: number): Promise<number> {
    const valid = jobs.filter((j) => typeof j.data?.eventId === 'string');
    const invalid = jobs.filter((j) => !valid.includes(j)).map((j) => j.id);
    if (invalid.length) await completeJobs(pool, name, invalid, { schema });
    // Fast path: the whole batch in one transaction, which also completes its jobs (and defers
    // the events of scopes another batch is processing); on any failure, one by one.
    const batch =
      valid.length > 1
        ? await processBatch(
            pool,
            valid.map((j) => j.data.eventId),
            {
              registry,
              fetchObject: options.fetchObject,
              onBatchError: options.onBatchError,
              jobs: {
                queue: name,
                schema,
                list: valid.map((j) => ({
                  id: j.id,
                  eventId: j.data.eventId,
                  scope: typeof j.data.scope === 'string' ? j.data.scope : null,
                  retryCount: j.retryCount,
                  retryLimit: j.retryLimit,
                })),
              },
            },
          )
        : null;
    if (batch) {
      let deferred = 0;
      for (const job of valid) if (batch.get(job.data.eventId)?.status === 'deferred') deferred++;
      for (const outcome of batch.values())
        if (outcome.status === 'processed' || outcome.status === 'ignored') processed++;
      return jobs.length - deferred;
    }
    // One by one, each event's transaction completing its job. Jobs not started within half their
    // expiry go back to the queue; the first is always processed, so every round makes progress.
    const holdMs = holdTime(valid);
    let handled = invalid.length;
    for (const [i, job] of valid.entries()) {
      if (i > 0 && Date.now() - fetchedAt > holdMs) {
        const rest = valid.slice(i);
        await withTransaction(pool, (client) => releaseJobs(client, name, rest, { schema }));
        break;
      }
      const eventId = job.data.eventId;
      const outcome = await processEvent(pool, eventId, {
        registry,
        fetchObject: options.fetchObject,
        job: { queue: name, id: job.id, schema },
      });
      if (outcome.status === 'error') {
        const dead = job.retryCount >= job.retryLimit;
        await recordFailure(pool, eventId, outcome.error, dead).catch(() => {});
        await failJob(pool, name, job.id, outcome.error, { schema }).catch(() => {});
        options.onError?.(eventId, outcome.error, dead);
      } else if (outcome.status === 'processed' || outcome.status === 'ignored') processed++;
      handled++;
    }
    return handled;
  }

  // Jobs not started within half their expiry go back to the queue before pg-boss expires them.
  const holdTime = (jobs: ClaimedJob<JobData>[]) =>
    (Math.min(...jobs.map((j) => j.expireInSeconds)) * 1000) / 2;

  async function loop(): Promise<void> {
    while (!stopping) {
      let jobs: ClaimedJob<JobData>[] = [];
      const fetchedAt = Date.now();
      try {
        jobs = await fetchJobs<JobData>(pool, name, fetchSize, { schema });
      } catch {
        await sleep(Math.max(idleMs, 1000));
        continue;
      }
      if (jobs.length === 0) {
        await sleep(idleMs);
        continue;
      }
      try {
        for (let i = 0; i < jobs.length; i += batchSize) {
          // The first batch always runs (progress); the rest go back when stopping or late.
          if (i > 0 && (stopping || Date.now() - fetchedAt > holdTime(jobs))) {
            const rest = jobs.slice(i);
            await withTransaction(pool, (client) => releaseJobs(client, name, rest, { schema }));
            break;
          }
          const handled = await handleBatch(jobs.slice(i, i + batchSize), fetchedAt);
          options.onBatch?.(handled);
        }
      } catch {
        // Database trouble mid-batch: the jobs stay active and expire back onto the queue.
        options.onBatch?.(0);
        await sleep(1000);
      }
    }
  }

  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, () => loop());
  return {
    async stop() {
      stopping = true;
      wake?.();
      await Promise.all(loops);
    },
    get processed() {
      return processed;
    },
  };
}

/** Resolves when no Stripe event is pending or failed (i.e. the queue has drained), or times out. */
export async function waitForDrain(
  pool: pg.Pool,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from public.stripe_events where status in ('pending', 'failed')`,
    );
    if ((rows[0]?.n ?? 0) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
