/** Expected failures are values, shaped like zod's safeParse. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/**
 * Error codes of the wallet, usage, audit and backfill parts of the billing ledger (a closed set).
 */
export type WalletErrorCode =
  | 'not_found'
  | 'debt_limit_exceeded'
  | 'idempotency_conflict'
  | 'invalid_input'
  | 'recharge_not_configured'
  | 'stripe_error'
  | 'usage_source_error';

export interface WalletError {
  code: WalletErrorCode;
  message: string;
}
