import { MetricsError } from '../errors.ts';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, type ParsedWireEvent } from '../event.ts';
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

/** Posts batches to `POST /v1/events` of the webhooks app (or any server using createIngestHandler). */
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
          return {
            ok: false,
            error: new MetricsError(code, `ingest answered ${res.status}: ${text.slice(0, 300)}`, {
              retryable,
            }),
          };
        }
        inserted += Number((JSON.parse(text) as { inserted?: number }).inserted ?? 0);
      }
      return { ok: true, value: { inserted } };
    },
  };
}
