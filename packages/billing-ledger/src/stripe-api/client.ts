import Stripe from 'stripe';
import { type LedgerError, ledgerError } from '../errors.ts';

/**
 * The Stripe REST adapter of the wallet, audit, recovery and backfill code: rate-limited calls
 * with backoff on 429 (honouring Retry-After) and on transient failures, and a paginated lister.
 * Stripe error types never leave this file: callers get `StripeCallError`, a `LedgerError`.
 */

export type StripeCallError = LedgerError<'stripe_error'> & {
  /** Stripe's error type and code when Stripe answered (card_error / card_declined ...). */
  type: string | null;
  stripeCode: string | null;
  status: number | null;
  /** For a failed confirmation: the payment intent Stripe created (to retry it rather than create another). */
  paymentIntentId: string | null;
};

export interface RateLimiter {
  /** Resolves when one more request may be sent. */
  take(): Promise<void>;
}

/** Spaces requests evenly at `perSecond` (e.g. 80 live, 20 with a test key, per Stripe's limits). */
export function createRateLimiter(
  perSecond: number,
  clock: { now(): number; sleep(ms: number): Promise<void> } = realClock,
): RateLimiter {
  const interval = 1000 / perSecond;
  let next = 0;
  return {
    async take() {
      const t = clock.now();
      const at = Math.max(t, next);
      next = at + interval;
      if (at > t) await clock.sleep(at - t);
    },
  };
}

export const realClock = {
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};

/**
 * A Stripe SDK client for a key, optionally pointed at another API base (a local Stripe-compatible
 * server: `http://127.0.0.1:12111`). SDK-level retries are off; `createStripeApi` does the retrying.
 */
export function createStripeClient(apiKey: string, apiBase?: string): Stripe {
  if (!apiBase) return new Stripe(apiKey, { maxNetworkRetries: 0 });
  const u = new URL(apiBase);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(apiKey, {
    host: u.hostname,
    port: Number(u.port || (protocol === 'http' ? 80 : 443)),
    protocol,
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

/** Stripe's documented rate limits: 100 req/s live and 25 in test mode; we stay under both. */
export const defaultRateFor = (apiKey: string | undefined) =>
  apiKey?.startsWith('sk_live_') || apiKey?.startsWith('rk_live_') ? 80 : 20;

export interface StripeApiOptions {
  /** Requests per second (default 20). */
  perSecond?: number;
  /** Attempts per call, including the first (default 6). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called for every 429 / retry with the wait in ms. */
  onRetry?: (info: { attempt: number; waitMs: number; status: number | null }) => void;
}

export interface StripeApi {
  stripe: Stripe;
  /** Runs one Stripe call under the rate limit, retrying 429 / 5xx / connection errors. */
  call<T>(
    fn: (stripe: Stripe) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: StripeCallError }>;
  stats: { requests: number; retries: number; rateLimited: number };
}

interface RawStripeError {
  type?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  headers?: Record<string, string>;
  raw?: { type?: string; code?: string; payment_intent?: { id?: string } };
  payment_intent?: { id?: string };
}

export function toStripeCallError(e: unknown): StripeCallError {
  const x = e as RawStripeError;
  return ledgerError('stripe_error', x?.message ?? String(e), {
    type: x?.raw?.type ?? (typeof x?.type === 'string' && !x.type.startsWith('Stripe') ? x.type : null),
    stripeCode: x?.code ?? x?.raw?.code ?? null,
    status: x?.statusCode ?? null,
    paymentIntentId: x?.payment_intent?.id ?? x?.raw?.payment_intent?.id ?? null,
  });
}

export function createStripeApi(stripe: Stripe, options: StripeApiOptions = {}): StripeApi {
  const limiter = createRateLimiter(options.perSecond ?? 20);
  const sleep = options.sleep ?? realClock.sleep;
  const maxAttempts = options.maxAttempts ?? 6;
  const stats = { requests: 0, retries: 0, rateLimited: 0 };
  return {
    stripe,
    stats,
    async call(fn) {
      for (let attempt = 1; ; attempt++) {
        await limiter.take();
        stats.requests++;
        try {
          return { ok: true, value: await fn(stripe) };
        } catch (e) {
          const x = e as RawStripeError;
          const status = x?.statusCode ?? null;
          const transient =
            status === 429 ||
            (status !== null && status >= 500) ||
            status === null ||
            x?.type === 'StripeConnectionError';
          const isStripe = typeof x?.type === 'string' && x.type.startsWith('Stripe');
          if (!isStripe || !transient || attempt >= maxAttempts)
            return { ok: false, error: toStripeCallError(e) };
          if (status === 429) stats.rateLimited++;
          stats.retries++;
          const retryAfter = Number(x.headers?.['retry-after']);
          const waitMs =
            Number.isFinite(retryAfter) && retryAfter >= 0
              ? retryAfter * 1000
              : Math.min(8000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
          options.onRetry?.({ attempt, waitMs, status });
          await sleep(waitMs);
        }
      }
    },
  };
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

/**
 * Walks a Stripe list endpoint page by page (newest first, `starting_after` cursor). `onPage`
 * receives each page and the cursor to resume after it; a failed call ends with the error and the
 * last good cursor.
 */
export async function listPages<T extends { id: string }>(
  api: StripeApi,
  list: (stripe: Stripe, params: { limit: number; starting_after?: string }) => Promise<Page<T>>,
  options: {
    startingAfter?: string | null;
    pageSize?: number;
    onPage: (items: T[], cursor: string | null) => Promise<void> | void;
  },
): Promise<
  | { ok: true; value: { pages: number; items: number } }
  | { ok: false; error: StripeCallError & { cursor: string | null } }
> {
  let cursor = options.startingAfter ?? null;
  let pages = 0;
  let items = 0;
  for (;;) {
    const params = { limit: options.pageSize ?? 100, ...(cursor ? { starting_after: cursor } : {}) };
    const page = await api.call((s) => list(s, params));
    if (!page.ok) return { ok: false, error: Object.assign(page.error, { cursor }) };
    const data = page.value.data;
    if (data.length) cursor = data[data.length - 1]!.id;
    pages++;
    items += data.length;
    await options.onPage(data, cursor);
    if (!page.value.has_more || data.length === 0) return { ok: true, value: { pages, items } };
  }
}
