import type { Pool } from 'pg';
import { ingestBody, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../event.ts';
import { type RequestMetadataOptions, requestMetadata } from '../request-meta.ts';
import { hashApiKey } from '../store/api-keys.ts';
import { createPartitionKeeper, enqueueEvents } from '../store/events.ts';
import { createEventInboxDrainer, type EventInboxDrainer } from '../store/inbox.ts';

export interface IngestHandlerOptions {
  pool: Pool;
  maxEvents?: number;
  maxBytes?: number;
  metadata?: Omit<RequestMetadataOptions, 'remoteAddress'>;
  /** How long a verified key is trusted without a lookup (default 30 s; 0 disables the cache). */
  keyCacheMs?: number;
  /** Reports unexpected failures (answered 500) and failed drains; default: none. */
  onError?: (error: unknown) => void;
  /**
   * Moves accepted batches from the inbox into `events`; default: the handler's own, started after
   * each accepted batch and every `drainIntervalMs`.
   */
  drainer?: EventInboxDrainer;
  /** Period of the own drainer's background drain (default 1,000 ms). */
  drainIntervalMs?: number;
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
 * and 512 KB. Answers 200 `{ received, inserted }` once the batch is stored in the event inbox (a
 * drain moves it into `events` and the rollups right after), 400 invalid, 401 bad key, 405, 413
 * too large, 415 not JSON, 500 on a database failure (retry: the ids make resends idempotent).
 */
export function createIngestHandler(options: IngestHandlerOptions): IngestHandler {
  const maxEvents = options.maxEvents ?? MAX_BATCH_EVENTS;
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  const cacheMs = options.keyCacheMs ?? 30_000;
  const keys = new Map<string, { app: string; until: number }>();
  const ensurePartitions = createPartitionKeeper();
  const drainer =
    options.drainer ??
    createEventInboxDrainer({
      pool: options.pool,
      intervalMs: options.drainIntervalMs ?? 1000,
      onError: options.onError,
    });

  async function appForKey(key: string): Promise<string | null> {
    const hash = hashApiKey(key);
    const cached = keys.get(hash);
    if (cached && cached.until > performance.now()) return cached.app;
    const { rows } = await options.pool.query<{ app: string }>(
      'update public.metrics_api_keys set last_used_at = now() where key_hash = $1 and revoked_at is null returning app',
      [hash],
    );
    const app = rows[0]?.app ?? null;
    if (app && cacheMs > 0) {
      if (keys.size > 1000) keys.clear();
      keys.set(hash, { app, until: performance.now() + cacheMs });
    }
    return app;
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
      const meta = requestMetadata(req, { ...options.metadata, remoteAddress: info?.remoteAddress });
      await ensurePartitions(options.pool, parsed.data.events);
      const result = await enqueueEvents(options.pool, app, parsed.data.events, meta);
      drainer.kick();
      return json(200, result);
    } catch (error) {
      options.onError?.(error);
      return fail(500, 'internal', 'the events could not be stored; retry with the same ids');
    }
  };
  return Object.assign(handle, { drainer });
}
