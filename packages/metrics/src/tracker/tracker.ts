import type { Catalog, EventName, EventProperties } from '../catalog/define.ts';
import { MetricsError, type Result } from '../errors.ts';
import type { ParsedWireEvent, RequestMetadata } from '../event.ts';
import type { Transport } from './transport.ts';

export interface TrackerOptions<C extends Catalog> {
  app: string;
  transport: Transport;
  catalog: C;
  /** Events per batch (default 100; the HTTP ingest accepts at most 500). */
  batchSize?: number;
  /** A partial batch is sent after this long (default 1000 ms). */
  flushIntervalMs?: number;
  /** Events held in memory, not counting batches in flight (default 10,000). */
  maxQueue?: number;
  /** When the queue is full: drop the oldest queued event (default) or the new one. */
  dropPolicy?: 'drop_oldest' | 'drop_newest';
  /** Attempts after the first for a retryable failure (default 5). */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Batches in flight at once (default 1). */
  concurrency?: number;
  /** Stamps events tracked without `occurredAt` (default: the wall clock). */
  now?: () => Date;
  newId?: () => string;
  /**
   * Called for events given up: a batch after a non-retryable error or its last retry, and the
   * events the store refused one by one (code `invalid_event`, `details` = the refusals with
   * their reasons) while it stored the rest of their batch.
   */
  onError?: (error: MetricsError, batch: readonly ParsedWireEvent[]) => void;
}

export interface TrackContext {
  userId?: string | null;
  anonymousId?: string | null;
  accountId?: string | null;
  occurredAt?: Date;
  /** Client-generated id; pass one to make a re-tracked event idempotent across processes. */
  id?: string;
  context?: RequestMetadata;
}

export interface TrackerStats {
  /** Events waiting in memory now. */
  queued: number;
  inFlight: number;
  tracked: number;
  /** Events the store accepted (stored, or already stored). */
  sent: number;
  /** Rows the store really inserted (sent minus duplicates absorbed). */
  inserted: number;
  /** Events the store refused one by one (out of its time window, unstorable content): never resent. */
  rejected: number;
  dropped: number;
  invalid: number;
  failed: number;
  retries: number;
  batches: number;
}

export interface Tracker<C extends Catalog> {
  track<N extends EventName<C>>(
    name: N,
    properties: EventProperties<C, N>,
    ctx: TrackContext,
  ): Result<{ id: string }>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  stats(): TrackerStats;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A batching, retrying, memory-bounded tracker. `track()` validates against the catalog and
 * returns at once; sending happens in the background. Call `shutdown()` before exiting.
 */
export function createTracker<C extends Catalog>(options: TrackerOptions<C>): Tracker<C> {
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const maxQueue = Math.max(batchSize, options.maxQueue ?? 10_000);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const maxRetries = options.maxRetries ?? 5;
  const retryBase = options.retryBaseMs ?? 200;
  const retryMax = options.retryMaxMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const queue: ParsedWireEvent[] = [];
  let head = 0;
  let inFlight = 0;
  let inFlightBatches = 0;
  let flushing = false;
  let closed = false;
  let waiters: (() => void)[] = [];
  const s = {
    tracked: 0,
    sent: 0,
    inserted: 0,
    rejected: 0,
    dropped: 0,
    invalid: 0,
    failed: 0,
    retries: 0,
    batches: 0,
  };

  const queued = () => queue.length - head;
  const timer = setInterval(() => {
    if (queued() > 0) {
      flushing = true;
      pump();
    }
  }, options.flushIntervalMs ?? 1000);
  timer.unref?.();

  function take(): ParsedWireEvent[] {
    const batch = queue.slice(head, head + batchSize);
    head += batch.length;
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    return batch;
  }

  function settle() {
    if (queued() === 0 && inFlightBatches === 0) {
      flushing = false;
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  }

  function pump() {
    while (inFlightBatches < concurrency && (queued() >= batchSize || (flushing && queued() > 0))) {
      const batch = take();
      inFlightBatches++;
      inFlight += batch.length;
      void send(batch).finally(() => {
        inFlightBatches--;
        inFlight -= batch.length;
        pump();
      });
    }
    settle();
  }

  async function send(batch: ParsedWireEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let result: Awaited<ReturnType<Transport['send']>>;
      try {
        result = await options.transport.send(options.app, batch);
      } catch (cause) {
        result = {
          ok: false,
          error: new MetricsError(
            'transport_failed',
            `transport ${options.transport.name} threw: ${(cause as Error)?.message}`,
            { retryable: true, cause },
          ),
        };
      }
      if (result.ok) {
        const rejected = result.value.rejected ?? [];
        s.batches++;
        s.sent += batch.length - rejected.length;
        s.inserted += result.value.inserted;
        if (rejected.length > 0) {
          // Refused for good; the rest of the batch is stored, so nothing is resent.
          s.rejected += rejected.length;
          const first = rejected[0]!;
          options.onError?.(
            new MetricsError(
              'invalid_event',
              `${rejected.length} of ${batch.length} events refused by the store (first: ${first.code}: ${first.message})`,
              { details: rejected },
            ),
            rejected.flatMap((r) => (batch[r.index] ? [batch[r.index]!] : [])),
          );
        }
        return;
      }
      if (!result.error.retryable || attempt >= maxRetries) {
        s.failed += batch.length;
        options.onError?.(result.error, batch);
        return;
      }
      s.retries++;
      const backoff = Math.min(retryMax, retryBase * 2 ** attempt);
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      await sleep(Math.min(retryMax, Math.max(jittered, result.error.options.retryAfterMs ?? 0)));
    }
  }

  function flush(): Promise<void> {
    flushing = true;
    const done = new Promise<void>((resolve) => waiters.push(resolve));
    pump();
    return done.then(() => options.transport.flush?.());
  }

  return {
    track(name, properties, ctx) {
      const def = options.catalog[name];
      if (!def) {
        s.invalid++;
        return { ok: false, error: new MetricsError('invalid_event', `unknown event "${name}"`) };
      }
      if (closed) {
        s.dropped++;
        return { ok: false, error: new MetricsError('queue_full', 'the tracker is shut down') };
      }
      const parsed = def.properties.safeParse(properties);
      if (!parsed.success) {
        s.invalid++;
        return {
          ok: false,
          error: new MetricsError(
            'invalid_event',
            `invalid properties for "${name}": ${parsed.error.message}`,
            { details: parsed.error.issues },
          ),
        };
      }
      if (ctx.userId == null && ctx.anonymousId == null) {
        s.invalid++;
        return {
          ok: false,
          error: new MetricsError('invalid_event', `"${name}" needs a userId or an anonymousId`),
        };
      }
      const id = ctx.id ?? newId();
      const event: ParsedWireEvent = {
        id,
        name,
        category: def.category,
        userId: ctx.userId ?? null,
        anonymousId: ctx.anonymousId ?? null,
        accountId: ctx.accountId ?? null,
        properties: parsed.data as Record<string, unknown>,
        occurredAt: (ctx.occurredAt ?? now()).toISOString(),
        ...(ctx.context ? { context: ctx.context } : {}),
      };
      s.tracked++;
      if (queued() >= maxQueue) {
        s.dropped++;
        if ((options.dropPolicy ?? 'drop_oldest') === 'drop_newest') {
          return {
            ok: false,
            error: new MetricsError('queue_full', `queue full (${maxQueue} events): event dropped`),
          };
        }
        head++;
      }
      queue.push(event);
      if (queued() >= batchSize) pump();
      return { ok: true, value: { id } };
    },
    flush,
    async shutdown() {
      clearInterval(timer);
      await flush();
      closed = true;
      await options.transport.close?.();
    },
    stats: () => ({ queued: queued(), inFlight, ...s }),
  };
}
