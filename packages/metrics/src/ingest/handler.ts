import type { Pool } from 'pg';
import { ingestBody, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../event.ts';
import { type RequestMetadataOptions, requestMetadata } from '../request-meta.ts';
import {
  cachedKeyApp,
  DEFAULT_KEY_CACHE_MS,
  hashApiKey,
  keyCacheGeneration,
  rememberKey,
  verifyApiKey,
} from '../store/api-keys.ts';
import { enqueueEvents } from '../store/events.ts';
import { createEventInboxDrainer, type EventInboxDrainer } from '../store/inbox.ts';
import { createPartitionKeeper } from '../store/partitions.ts';
import { classifyDbError } from '../store/pg-errors.ts';
import { DEFAULT_INGEST_WINDOW, type IngestWindow, type RejectedEvent, screenEvents } from './screen.ts';
import { storeBatch } from './store-batch.ts';

export interface IngestHandlerOptions {
  pool: Pool;
  maxEvents?: number;
  maxBytes?: number;
  metadata?: Omit<RequestMetadataOptions, 'remoteAddress'>;
  /**
   * How long a verified key is trusted without a lookup (default 5,000 ms; 0 disables the cache).
   * A key revoked with `revokeApiKey` in this process is refused at once; revoked elsewhere, within
   * this time.
   */
  keyCacheMs?: number;
  /** Reports unexpected failures (answered 500 or 503) and failed drains; default: none. */
  onError?: (error: unknown) => void;
  /**
   * Moves accepted batches from the inbox into `events`; default: the handler's own, started after
   * each accepted batch and every `drainIntervalMs`.
   */
  drainer?: EventInboxDrainer;
  /** Period of the own drainer's background drain (default 1,000 ms). */
  drainIntervalMs?: number;
  /**
   * Accepted `occurredAt` around the handler's clock: default 400 days back, 1 day ahead (as the
   * `track_events` RPC). Events outside are refused one by one.
   */
  window?: Partial<IngestWindow>;
  /** The handler's clock for the window and the key cache (default: the wall clock). */
  now?: () => Date;
  /** `lock_timeout` of the ingest write, ms (default 2,000). */
  lockTimeoutMs?: number;
  /** `statement_timeout` of the ingest write, ms (default 10,000). */
  statementTimeoutMs?: number;
  /**
   * Monthly partitions one request may create when `maintainEventPartitions` has not (default 2;
   * 0 = none). Events of other missing months wait in the default partition.
   */
  maxPartitionsPerRequest?: number;
  /** `retry-after` of a 503, seconds (default 2). */
  retryAfterSeconds?: number;
}

/** The body of a 200 (every event stored or a duplicate) or 207 (some refused, the rest stored). */
export interface IngestResponse {
  /** Events in the request. */
  received: number;
  /** Events new to the store. */
  inserted: number;
  /** Events already stored under the same (app, id): resends. */
  duplicates: number;
  /** Events refused, in batch order; `received = inserted + duplicates + rejected.length`. */
  rejected: RejectedEvent[];
}

export type IngestHandler = ((
  req: Request,
  info?: { remoteAddress?: string | undefined },
) => Promise<Response>) & {
  /** The drainer moving accepted batches into `events`; `close()` it on shutdown. */
  readonly drainer: EventInboxDrainer;
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
  json(
    status,
    { error: { code, message, ...extra } },
    status === 401 ? { 'www-authenticate': 'Bearer' } : {},
  );

async function readLimited(req: Request, limit: number): Promise<string | null> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `POST /v1/events` as a framework-neutral fetch handler: `Authorization: Bearer <key>` (or
 * `x-api-key`) checked against hashed keys, body `{ events: WireEvent[] }` of at most 500 events
 * and 512 KB. Answers once the batch is durably stored in the event inbox (a drain moves it into
 * `events` and the rollups right after):
 * - 200 `{ received, inserted, duplicates, rejected: [] }`;
 * - 207 the same with `rejected: [{ index, id, code, message }]`: those events were refused (out
 *   of the time window, text Postgres cannot store, nesting too deep, data Postgres refused) and
 *   must not be resent; the others are stored;
 * - 400 invalid JSON or batch (nothing stored, zod issues listed), 401 bad key, 405, 413 too large,
 *   415 not JSON;
 * - 503 with `retry-after` while the database is unreachable or busy (retry with the same ids);
 *   500 on a bug.
 */
export function createIngestHandler(options: IngestHandlerOptions): IngestHandler {
  const maxEvents = options.maxEvents ?? MAX_BATCH_EVENTS;
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  const cacheMs = options.keyCacheMs ?? DEFAULT_KEY_CACHE_MS;
  const window: IngestWindow = { ...DEFAULT_INGEST_WINDOW, ...options.window };
  const now = options.now ?? (() => new Date());
  const limits = {
    lockTimeoutMs: options.lockTimeoutMs ?? 2_000,
    statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
  };
  const retryAfter = String(options.retryAfterSeconds ?? 2);
  const ensurePartitions = createPartitionKeeper({ maxCreatePerCall: options.maxPartitionsPerRequest ?? 2 });
  const drainer =
    options.drainer ??
    createEventInboxDrainer({
      pool: options.pool,
      intervalMs: options.drainIntervalMs ?? 1000,
      onError: options.onError,
    });

  async function appForKey(key: string): Promise<string | null> {
    const hash = hashApiKey(key);
    const at = now().getTime();
    if (cacheMs > 0) {
      const cached = cachedKeyApp(hash, at, cacheMs);
      if (cached) return cached;
    }
    const generation = keyCacheGeneration();
    const found = await verifyApiKey(options.pool, hash, limits);
    if (found && cacheMs > 0) rememberKey(hash, found, at, generation);
    return found?.app ?? null;
  }

  const handle = async (req: Request, info?: { remoteAddress?: string | undefined }) => {
    try {
      if (req.method !== 'POST') return fail(405, 'method_not_allowed', 'use POST');
      const auth = req.headers.get('authorization');
      const key = auth?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.headers.get('x-api-key') ?? undefined;
      if (!key) return fail(401, 'unauthorized', 'missing API key (Authorization: Bearer <key>)');
      const app = await appForKey(key);
      if (!app) return fail(401, 'unauthorized', 'unknown or revoked API key');
      const type = req.headers.get('content-type') ?? '';
      if (!/^application\/json\b/i.test(type))
        return fail(415, 'unsupported_media_type', 'send application/json');
      const declared = Number(req.headers.get('content-length') ?? '0');
      if (declared > maxBytes) return fail(413, 'batch_too_large', `body larger than ${maxBytes} bytes`);
      const text = await readLimited(req, maxBytes);
      if (text === null) return fail(413, 'batch_too_large', `body larger than ${maxBytes} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return fail(400, 'invalid_json', 'body is not valid JSON');
      }
      const count = (body as { events?: unknown })?.events;
      if (Array.isArray(count) && count.length > maxEvents)
        return fail(413, 'batch_too_large', `at most ${maxEvents} events per request, got ${count.length}`);
      const parsed = ingestBody.safeParse(body);
      if (!parsed.success) {
        return fail(400, 'invalid_batch', 'the batch is invalid; nothing was stored', {
          issues: parsed.error.issues
            .slice(0, 20)
            .map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      const events = parsed.data.events;
      const screened = screenEvents(events, { now: now().getTime(), window });
      const meta = requestMetadata(req, { ...options.metadata, remoteAddress: info?.remoteAddress });
      let stored = { inserted: 0, duplicates: 0, rejected: [] as RejectedEvent[] };
      if (screened.accepted.length > 0) {
        await ensurePartitions(
          options.pool,
          screened.accepted.map((a) => a.event),
        );
        stored = await storeBatch(
          (batch) => enqueueEvents(options.pool, app, batch, meta, limits),
          screened.accepted,
        );
        if (stored.inserted > 0) drainer.kick();
      }
      const rejected = [...screened.rejected, ...stored.rejected].sort((a, b) => a.index - b.index);
      const result: IngestResponse = {
        received: events.length,
        inserted: stored.inserted,
        duplicates: stored.duplicates,
        rejected,
      };
      return json(rejected.length > 0 ? 207 : 200, result);
    } catch (error) {
      options.onError?.(error);
      const kind = classifyDbError(error);
      if (kind === 'unavailable' || kind === 'conflict')
        return json(
          503,
          {
            error: {
              code: 'database_unavailable',
              message: 'the events could not be stored now; retry with the same ids',
            },
          },
          { 'retry-after': retryAfter },
        );
      return fail(500, 'internal', 'the events could not be stored; retry with the same ids');
    }
  };
  return Object.assign(handle, { drainer });
}
