/**
 * The package's one error type. Expected failures travel as `Result` values; `LedgerError` is
 * thrown only across async boundaries where a value cannot (HTTP adapters map it to a status).
 */
export type LedgerErrorCode =
  | 'invalid_signature'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'unsupported_object'
  | 'not_found'
  | 'invalid_state'
  | 'database_unavailable'
  | 'queue_unavailable'
  | 'handler_failed'
  /** A report needs an exchange rate that fx_rates does not have (the message names the pair and date). */
  | 'missing_fx_rate';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

export const isLedgerError = (e: unknown): e is LedgerError => e instanceof LedgerError;

export type Result<T, E = LedgerError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = LedgerError>(error: E): Result<never, E> => ({ ok: false, error });
