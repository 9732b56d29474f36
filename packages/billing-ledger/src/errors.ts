/**
 * The package's one error type: `LedgerError`, with a closed set of stable codes shared by every
 * part (webhooks, revenue, wallets, usage, audit, backfill). Expected failures travel as `Result`
 * values whose error is a `LedgerError`; it is thrown only across async boundaries where a value
 * cannot (HTTP adapters map its code to a status). Codes that carry more than a message have the
 * details as own properties (a rejected deduction's balance, the Stripe answer of a failed call),
 * and `toJSON()` keeps code, message and details.
 */
export const ledgerErrorCodes = [
  // Stripe webhooks and the inbox.
  'invalid_signature',
  'invalid_payload',
  'payload_too_large',
  'unsupported_object',
  // Any part.
  'invalid_input',
  'not_found',
  'invalid_state',
  'database_unavailable',
  'queue_unavailable',
  'handler_failed',
  /** A report needs an exchange rate that fx_rates does not have (the message names the pair and date). */
  'missing_fx_rate',
  // Wallets: the deduction would take the balance below -debt_limit (balance unchanged).
  'debt_limit_exceeded',
  // An idempotency key already used with another amount or kind.
  'idempotency_conflict',
  'recharge_not_configured',
  // Services outside the database.
  'stripe_error',
  'usage_source_error',
] as const;

export type LedgerErrorCode = (typeof ledgerErrorCodes)[number];

export class LedgerError<C extends LedgerErrorCode = LedgerErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerError';
  }

  /** An Error's message is not enumerable: JSON keeps the code, the message and the details. */
  toJSON(): { code: C; message: string; [detail: string]: unknown } {
    return { ...(this as object), code: this.code, message: this.message };
  }
}

/** A `LedgerError` with details as own (enumerable) properties. */
export function ledgerError<C extends LedgerErrorCode, D extends object = Record<never, never>>(
  code: C,
  message: string,
  details?: D,
  options?: { cause?: unknown },
): LedgerError<C> & D {
  return Object.assign(new LedgerError(code, message, options), details);
}

export const isLedgerError = (e: unknown): e is LedgerError => e instanceof LedgerError;

export type Result<T, E = LedgerError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = LedgerError>(error: E): Result<never, E> => ({ ok: false, error });

/** @deprecated Wallet errors are `LedgerError`s: use `LedgerErrorCode`. */
export type WalletErrorCode = Extract<
  LedgerErrorCode,
  | 'not_found'
  | 'debt_limit_exceeded'
  | 'idempotency_conflict'
  | 'invalid_input'
  | 'recharge_not_configured'
  | 'stripe_error'
  | 'usage_source_error'
>;

/** @deprecated Wallet errors are `LedgerError`s: use `LedgerError`. */
export type WalletError = LedgerError<WalletErrorCode>;
