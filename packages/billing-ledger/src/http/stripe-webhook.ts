import type pg from 'pg';
import type Stripe from 'stripe';
import { LedgerError, type LedgerErrorCode } from '../errors.ts';
import { activeJobCount, DEFAULT_QUEUE_SCHEMA, STRIPE_EVENTS_QUEUE } from '../queue.ts';
import { databaseErrorKind } from '../store/db-errors.ts';
import { type InboxStats, receiveEvent } from '../store/inbox.ts';
import { storableContent } from '../stripe/content.ts';
import { parseEvent } from '../stripe/parse.ts';

/**
 * The framework-neutral Stripe webhook endpoint: a `(Request) => Promise<Response>` function that
 * mounts in Hono, Next.js route handlers, or anything speaking the Fetch API.
 *
 * - verifies the signature on the raw body against each configured secret (rotation) with a
 *   300 s tolerance either way (Stripe's SDK checks only the past: a signature dated further ahead
 *   would let a captured payload be replayed until then), before anything is written;
 * - inserts the event into the inbox and enqueues its job in one transaction, and answers 200 only
 *   after that commit is flushed to disk (a duplicate answers 200 too);
 * - bad / missing signature, timestamp outside the tolerance or malformed JSON: 400, nothing
 *   written;
 * - content Postgres cannot store is the sender's: NUL characters and unpaired surrogates are
 *   replaced by U+FFFD and the event is stored and processed (`sanitized: true` in the answer);
 *   nesting deeper than `MAX_EVENT_DEPTH` or any other data error from Postgres: 400
 *   `invalid_payload`, nothing written (see `storableContent`, `databaseErrorKind`);
 * - body over 1 MB: 413; database unavailable: 503, so Stripe retries.
 */
export interface StripeWebhookOptions {
  pool: pg.Pool;
  /** The Stripe SDK client; only its `webhooks` helpers are used (no API calls). */
  stripe: Pick<Stripe, 'webhooks'>;
  /** Signing secrets (whsec_...); several while rotating. */
  secrets: string[];
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  queueSchema?: string;
  /** Called for failures worth logging (database errors); never with secrets. */
  onError?: (error: unknown) => void;
  /** The clock the future-timestamp check reads (tests); default `Date.now`. */
  now?: () => number;
}

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** One code -> HTTP status table for the package's errors. */
export const httpStatusFor: Record<LedgerErrorCode, number> = {
  invalid_signature: 400,
  invalid_payload: 400,
  payload_too_large: 413,
  unsupported_object: 422,
  not_found: 404,
  invalid_state: 409,
  database_unavailable: 503,
  queue_unavailable: 503,
  handler_failed: 500,
  missing_fx_rate: 422,
  invalid_input: 400,
  debt_limit_exceeded: 402,
  idempotency_conflict: 409,
  recharge_not_configured: 409,
  stripe_error: 502,
  usage_source_error: 502,
};

export function errorResponse(error: LedgerError): Response {
  return Response.json(
    { error: { code: error.code, message: error.message } },
    { status: httpStatusFor[error.code] },
  );
}

async function readLimited(request: Request, limit: number): Promise<string | null> {
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createStripeWebhookHandler(
  options: StripeWebhookOptions,
): (request: Request) => Promise<Response> {
  const tolerance = options.toleranceSeconds ?? 300;
  const limit = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const secrets = options.secrets.filter((s) => s.length > 0);
  return async (request) => {
    if (request.method !== 'POST') return errorResponse(new LedgerError('invalid_payload', 'Use POST'));
    const body = await readLimited(request, limit);
    if (body === null)
      return errorResponse(new LedgerError('payload_too_large', `Body exceeds ${limit} bytes`));
    const signature = request.headers.get('stripe-signature');
    if (!signature)
      return errorResponse(new LedgerError('invalid_signature', 'Missing Stripe-Signature header'));
    if (secrets.length === 0)
      return errorResponse(
        new LedgerError(
          'invalid_signature',
          'No webhook signing secret is configured (STRIPE_WEBHOOK_SECRET)',
        ),
      );
    let verified: unknown;
    let reason = 'No signature matches any configured secret';
    for (const secret of secrets) {
      try {
        verified = await options.stripe.webhooks.constructEventAsync(body, signature, secret, tolerance);
        break;
      } catch (error) {
        const e = error as Error & { type?: string };
        if (e instanceof SyntaxError)
          return errorResponse(new LedgerError('invalid_payload', 'Body is not valid JSON'));
        if (/tolerance/i.test(e.message)) reason = `Timestamp older than the ${tolerance} s tolerance`;
        else if (/Unable to extract/i.test(e.message)) reason = 'Malformed Stripe-Signature header';
      }
    }
    if (verified === undefined) return errorResponse(new LedgerError('invalid_signature', reason));
    const ahead = signedTimestamp(signature) - Math.floor((options.now ?? Date.now)() / 1000);
    if (ahead > tolerance)
      return errorResponse(
        new LedgerError(
          'invalid_signature',
          `Timestamp ${ahead} s in the future, beyond the ${tolerance} s tolerance (check the sender's clock)`,
        ),
      );
    const content = storableContent(verified);
    if (!content.ok) return errorResponse(content.error);
    const { sanitized } = content.value;
    const parsed = parseEvent(content.value.value);
    if (!parsed.ok) return errorResponse(parsed.error);
    try {
      const { inserted } = await receiveEvent(
        options.pool,
        parsed.value,
        sanitized ? JSON.stringify(content.value.value) : body,
        options.queueSchema ? { queueSchema: options.queueSchema } : {},
      );
      return Response.json(
        { received: true, id: parsed.value.id, duplicate: !inserted, ...(sanitized ? { sanitized } : {}) },
        { status: 200 },
      );
    } catch (error) {
      if (databaseErrorKind(error, { table: 'stripe_events' }) === 'content') {
        const e = error as { code?: string; message?: string };
        return errorResponse(
          new LedgerError(
            'invalid_payload',
            `The event cannot be stored (SQLSTATE ${e.code}): ${String(e.message).slice(0, 200)}`,
          ),
        );
      }
      options.onError?.(error);
      return errorResponse(
        new LedgerError('database_unavailable', 'The event could not be stored; retry later', {
          cause: error,
        }),
      );
    }
  };
}

/** The `t=` timestamp of a Stripe-Signature header (already verified to be well-formed and signed). */
function signedTimestamp(header: string): number {
  for (const part of header.split(',')) {
    const [key, value] = part.split('=');
    if (key?.trim() === 't') return Number(value);
  }
  return Number.NaN;
}

export interface Health {
  /** `degraded`: dead events, or a backlog older than `maxBacklogAgeSeconds` (see `problems`). */
  status: 'ok' | 'degraded';
  db: 'up' | 'down';
  /** The Stripe inbox: events not yet done and the age of the oldest of them (null: none). */
  queue: Pick<InboxStats, 'pending' | 'processing' | 'failed' | 'dead' | 'oldestPendingAgeSeconds'> | null;
  /** Why the status is `degraded`, as sentences. */
  problems: string[];
}

export interface HealthOptions {
  asOf?: Date;
  queueSchema?: string;
  /** A pending or failed event older than this means the workers are not keeping up. Default 300 s. */
  maxBacklogAgeSeconds?: number;
  /** A database that has not answered by then counts as down. Default 5,000 ms. */
  timeoutMs?: number;
}

/**
 * The Stripe path's backlog, cheaply: only events not done (pending, failed, dead) are read, along
 * the (status, received_at) index, so the check costs the same with millions of processed events.
 */
export async function stripeInboxBacklog(
  pool: pg.Pool,
  options: { asOf?: Date; queueSchema?: string } = {},
): Promise<NonNullable<Health['queue']>> {
  const asOf = options.asOf ?? new Date();
  const schema = options.queueSchema ?? DEFAULT_QUEUE_SCHEMA;
  const [byStatus, active] = await Promise.all([
    pool.query<{ status: 'pending' | 'failed' | 'dead'; n: number; oldest: Date | null }>(
      `select status, count(*)::int as n, min(received_at) as oldest from public.stripe_events
       where status in ('pending', 'failed', 'dead') group by status`,
    ),
    activeJobCount(pool, STRIPE_EVENTS_QUEUE, { schema }).catch((error: unknown) => {
      // A bad schema name is a bug; a queue schema no process installed yet: nothing is processing.
      if (/invalid queue schema name/.test((error as Error).message)) throw error;
      return 0;
    }),
  ]);
  const backlog = {
    pending: 0,
    processing: active,
    failed: 0,
    dead: 0,
    oldestPendingAgeSeconds: null as number | null,
  };
  let oldest: Date | null = null;
  for (const r of byStatus.rows) {
    backlog[r.status] = r.n;
    if (r.status !== 'dead' && r.oldest && (!oldest || r.oldest < oldest)) oldest = r.oldest;
  }
  if (oldest)
    backlog.oldestPendingAgeSeconds = Math.max(0, Math.round((asOf.getTime() - oldest.getTime()) / 1000));
  return backlog;
}

/**
 * `GET /healthz` body for the Stripe path: database reachability (503 when it is down or does not
 * answer within `timeoutMs`) and the inbox backlog; `degraded` (still 200: intake works) with dead
 * events or a backlog older than `maxBacklogAgeSeconds`.
 */
export async function healthCheck(
  pool: pg.Pool,
  options: HealthOptions = {},
): Promise<{ status: number; body: Health }> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxAge = options.maxBacklogAgeSeconds ?? 300;
  let timer: NodeJS.Timeout | undefined;
  try {
    const queue = await Promise.race([
      stripeInboxBacklog(pool, options),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const problems: string[] = [];
    if (queue.dead > 0) problems.push(`${queue.dead} dead Stripe events (replay them once fixed)`);
    if (queue.oldestPendingAgeSeconds !== null && queue.oldestPendingAgeSeconds > maxAge)
      problems.push(
        `the oldest unprocessed Stripe event is ${queue.oldestPendingAgeSeconds} s old (over ${maxAge} s): is a worker running?`,
      );
    return { status: 200, body: { status: problems.length ? 'degraded' : 'ok', db: 'up', queue, problems } };
  } catch (error) {
    return {
      status: 503,
      body: {
        status: 'degraded',
        db: 'down',
        queue: null,
        problems: [`the database is unreachable: ${(error as Error).message}`],
      },
    };
  } finally {
    clearTimeout(timer);
  }
}
