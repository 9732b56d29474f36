/** The closed set of expected failures of @org/insights. */
export type InsightsErrorCode =
  | 'no_api_key'
  | 'llm_disabled'
  | 'timeout'
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'auth_failed'
  | 'api_error'
  | 'unreachable'
  | 'invalid_response'
  | 'invalid_report';

export interface InsightsFailure {
  code: InsightsErrorCode;
  message: string;
}

/** One error type for the package, for callers that prefer to throw a failure value. */
export class InsightsError extends Error {
  constructor(
    readonly code: InsightsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InsightsError';
  }
}

export type Result<T, E = InsightsFailure> = { ok: true; value: T } | { ok: false; error: E };
