import { err, isLedgerError, type LedgerError, ok, type Result } from '../errors.ts';
import type { Queryable } from './apply.ts';
import { type RangeQuery, type RevenueSummary, revenueSummary } from './revenue.ts';

/**
 * `revenueSummary` with its expected failure as a value, like the wallet functions: a currency
 * without an exchange rate is `{ ok: false, error }` (code `missing_fx_rate`, the message names the
 * pair and the first day without a rate) instead of a throw. Other errors are bugs and still throw.
 */
export async function tryRevenueSummary(
  db: Queryable,
  q: RangeQuery,
): Promise<Result<RevenueSummary, LedgerError<'missing_fx_rate'>>> {
  try {
    return ok(await revenueSummary(db, q));
  } catch (error) {
    if (isLedgerError(error) && error.code === 'missing_fx_rate')
      return err(error as LedgerError<'missing_fx_rate'>);
    throw error;
  }
}
