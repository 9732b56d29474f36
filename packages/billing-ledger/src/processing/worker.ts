import type pg from 'pg';
import { type ClaimedJob, claimJobs, type LedgerQueue, STRIPE_EVENTS_QUEUE, touchJobs } from '../queue.ts';
import { type ObjectFetcher, processBatch, processEvent, recordFailure } from './processor.ts';
import type { EventRegistry } from './registry.ts';

export interface WorkerOptions {
  pool: pg.Pool;
  queue: LedgerQueue;
  registry: EventRegistry;
  /** Parallel fetch loops in this process. Default 2. */
  concurrency?: number;
  /** Jobs claimed per round trip (and processed in one transaction). Default 100. */
  batchSize?: number;
  /** Sleep when the queue is empty. Default 250 ms. */
  idleMs?: number;
  /**
   * How often the worker confirms the jobs it holds (`touchJobs`), so a long batch does not expire
   * while a killed worker's jobs do. Default: a third of the queue's `expireInSeconds`.
   */
  heartbeatSeconds?: number;
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
 */
export function startWorker(options: WorkerOptions): Worker {
  const { pool, queue, registry } = options;
  const boss = queue.boss;
  const batchSize = options.batchSize ?? 100;
  const idleMs = options.idleMs ?? 250;
  let stopping = false;
  let processed = 0;
  let wake: (() => void) | undefined;
  // Jobs claimed and not yet settled, and their heartbeat.
  const held = new Set<string>();
  let beating = false;
  const heartbeat = setInterval(
    () => {
      if (beating || held.size === 0) return;
      beating = true;
      touchJobs(pool, STRIPE_EVENTS_QUEUE, [...held], { schema: queue.schema })
        .catch(() => {}) // database away: if it stays away, the jobs expire and are retried
        .finally(() => {
          beating = false;
        });
    },
    (options.heartbeatSeconds ?? Math.max(1, queue.retry.expireInSeconds / 3)) * 1000,
  );
  heartbeat.unref();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /** Returns the number of jobs done with (completed or failed); deferred jobs are back on the queue. */
  async function handleBatch(jobs: ClaimedJob<JobData>[]): Promise<number> {
    const done: string[] = [];
    const valid = jobs.filter((j) => typeof j.data?.eventId === 'string');
    for (const j of jobs) if (!valid.includes(j)) done.push(j.id);
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
                queue: STRIPE_EVENTS_QUEUE,
                schema: queue.schema,
                list: valid.map((j) => ({
                  id: j.id,
                  eventId: j.data.eventId,
                  scope: typeof j.data.scope === 'string' ? j.data.scope : null,
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
      if (done.length) await boss.complete(STRIPE_EVENTS_QUEUE, done);
      return jobs.length - deferred;
    }
    for (const job of valid) {
      const eventId = job.data.eventId;
      const outcome = await processEvent(pool, eventId, { registry, fetchObject: options.fetchObject });
      if (outcome.status === 'error') {
        const dead = job.retryCount >= job.retryLimit;
        await recordFailure(pool, eventId, outcome.error, dead).catch(() => {});
        await boss.fail(STRIPE_EVENTS_QUEUE, job.id, { message: outcome.error.message }).catch(() => {});
        options.onError?.(eventId, outcome.error, dead);
      } else {
        done.push(job.id);
        if (outcome.status === 'processed' || outcome.status === 'ignored') processed++;
      }
    }
    if (done.length) await boss.complete(STRIPE_EVENTS_QUEUE, done);
    return jobs.length;
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let jobs: ClaimedJob<JobData>[] = [];
      try {
        jobs = await claimJobs<JobData>(pool, STRIPE_EVENTS_QUEUE, batchSize, { schema: queue.schema });
      } catch {
        await sleep(Math.max(idleMs, 1000));
        continue;
      }
      if (jobs.length === 0) {
        await sleep(idleMs);
        continue;
      }
      let handled = 0;
      for (const job of jobs) held.add(job.id);
      try {
        handled = await handleBatch(jobs);
      } catch {
        // Database trouble mid-batch: the jobs stay active and expire back onto the queue.
        await sleep(1000);
      } finally {
        for (const job of jobs) held.delete(job.id);
      }
      options.onBatch?.(handled);
    }
  }

  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, () => loop());
  return {
    async stop() {
      stopping = true;
      wake?.();
      await Promise.all(loops);
      clearInterval(heartbeat);
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
