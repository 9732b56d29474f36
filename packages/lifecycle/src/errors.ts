export type LifecycleErrorCode =
  | 'invalid_query'
  | 'missing_email'
  | 'provider_rejected'
  | 'provider_unavailable'
  | 'rate_limited';

/** One error type for @org/lifecycle. */
export class LifecycleError extends Error {
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }
}
