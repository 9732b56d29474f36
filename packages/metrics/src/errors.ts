export type MetricsErrorCode =
  | 'invalid_event'
  | 'invalid_batch'
  | 'batch_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'transport_failed'
  | 'queue_full'
  | 'invalid_query';

/** One error type for @org/metrics; `retryable` tells the tracker whether a resend may succeed. */
export class MetricsError extends Error {
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    readonly options: {
      retryable?: boolean;
      cause?: unknown;
      details?: unknown;
      /** The server's `retry-after`: wait at least this long before resending. */
      retryAfterMs?: number;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetricsError';
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

export function isMetricsError(error: unknown): error is MetricsError {
  return error instanceof MetricsError;
}

export type Result<T, E = MetricsError> = { ok: true; value: T } | { ok: false; error: E };
