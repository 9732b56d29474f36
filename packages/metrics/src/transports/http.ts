import { MetricsError } from '../errors.ts';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, type ParsedWireEvent } from '../event.ts';
import type { RejectedEvent } from '../ingest/screen.ts';
import type { Transport } from '../tracker/transport.ts';

const encoder = new TextEncoder();

/** Splits a batch so every request stays within the ingest limits (500 events, 512 KB). */
export function splitForIngest(
  batch: readonly ParsedWireEvent[],
  maxEvents = MAX_BATCH_EVENTS,
  maxBytes = MAX_BATCH_BYTES,
): ParsedWireEvent[][] {
  const chunks: ParsedWireEvent[][] = [];
  let current: ParsedWireEvent[] = [];
  let bytes = 16;
  for (const e of batch) {
    const size = encoder.encode(JSON.stringify(e)).byteLength + 1;
    if (current.length > 0 && (current.length >= maxEvents || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 16;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** `retry-after` as milliseconds (seconds or an HTTP date), or undefined. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/**
 * Posts batches to `POST /v1/events` of the webhooks app (or any server using createIngestHandler).
 * A 200/207 answer's refused events are reported as `rejected` (never resent); 5xx, 408, 429 and
 * network errors are retryable (a 503's `retry-after` is honoured); other 4xx are final.
 */
export function httpTransport(options: {
  url: string;
  apiKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): Transport {
  const doFetch = options.fetch ?? fetch;
  return {
    name: 'http',
    async send(_app, batch) {
      let inserted = 0;
      let duplicates = 0;
      const rejected: RejectedEvent[] = [];
      let offset = 0;
      for (const chunk of splitForIngest(batch)) {
        let res: Response;
        try {
          res = await doFetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
            body: JSON.stringify({ events: chunk }),
            signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          });
        } catch (cause) {
          return {
            ok: false,
            error: new MetricsError(
              'transport_failed',
              `ingest request failed: ${(cause as Error).message}`,
              { retryable: true, cause },
            ),
          };
        }
        const text = await res.text();
        if (!res.ok) {
          const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
          const code =
            res.status === 401
              ? 'unauthorized'
              : res.status === 413
                ? 'batch_too_large'
                : retryable
                  ? 'transport_failed'
                  : 'invalid_batch';
          const after = retryable ? retryAfterMs(res.headers.get('retry-after')) : undefined;
          return {
            ok: false,
            error: new MetricsError(code, `ingest answered ${res.status}: ${text.slice(0, 300)}`, {
              retryable,
              ...(after === undefined ? {} : { retryAfterMs: after }),
            }),
          };
        }
        let body: { inserted?: unknown; duplicates?: unknown; rejected?: unknown };
        try {
          body = JSON.parse(text);
        } catch (cause) {
          return {
            ok: false,
            error: new MetricsError(
              'transport_failed',
              `ingest answered ${res.status} with a body that is not JSON`,
              {
                retryable: true,
                cause,
              },
            ),
          };
        }
        inserted += Number(body.inserted ?? 0);
        duplicates += Number(body.duplicates ?? 0);
        // Indexes are the chunk's: make them the batch's.
        if (Array.isArray(body.rejected))
          for (const r of body.rejected as RejectedEvent[])
            rejected.push({ ...r, index: offset + Number(r.index) });
        offset += chunk.length;
      }
      return { ok: true, value: { inserted, duplicates, rejected } };
    },
  };
}
