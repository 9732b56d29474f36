import { err, LedgerError, ok, type Result } from '../errors.ts';
import { type FxRateInput, type FxRateRow, validateFxRate } from '../pure/fx.ts';
import type { Queryable } from './apply.ts';

/**
 * Exchange rates in `fx_rates` (supabase/migrations/20261121000000_foundation.sql): one rate per
 * (base, quote, day), 1 base = rate quote. Reports read the latest rate on or before each day.
 */

/**
 * Inserts or replaces rates (same base, quote and date: the new rate wins). All or nothing: an
 * invalid rate is an `invalid_payload` error naming it, and nothing is written.
 */
export async function upsertFxRates(
  db: Queryable,
  rates: FxRateInput[],
  options: { source?: string } = {},
): Promise<Result<{ inserted: number; updated: number }>> {
  const rows: FxRateInput[] = [];
  for (const [i, r] of rates.entries()) {
    const v = validateFxRate(r);
    if (!v.ok) return err(new LedgerError('invalid_payload', `Rate ${i + 1}: ${v.error}`));
    rows.push(v.value);
  }
  if (rows.length === 0) return ok({ inserted: 0, updated: 0 });
  // The last of duplicate keys in the input wins (one statement cannot touch a row twice).
  const byKey = new Map(rows.map((r) => [`${r.base}/${r.quote}/${r.date}`, r]));
  const { rows: result } = await db.query<{ inserted: boolean }>(
    `insert into public.fx_rates (base_currency, quote_currency, rate_date, rate, source)
     select x.base, x.quote, x.date::date, x.rate::numeric, coalesce(x.source, $2)
     from jsonb_to_recordset($1::jsonb) as x(base text, quote text, date text, rate text, source text)
     on conflict (base_currency, quote_currency, rate_date) do update set rate = excluded.rate, source = excluded.source
     returning (xmax = 0) as inserted`,
    [JSON.stringify([...byKey.values()]), options.source ?? 'manual'],
  );
  const inserted = result.filter((r) => r.inserted).length;
  return ok({ inserted, updated: result.length - inserted });
}

export interface StoredFxRate extends FxRateRow {
  source: string;
}

/** Stored rates, newest first, optionally for one currency (as base or quote) and up to a day. */
export async function listFxRates(
  db: Queryable,
  options: { currency?: string; until?: string; limit?: number } = {},
): Promise<StoredFxRate[]> {
  const { rows } = await db.query<StoredFxRate>(
    `select base_currency as base, quote_currency as quote, rate_date::text as "rateDate", rate::text as rate, source
     from public.fx_rates
     where ($1::text is null or base_currency = $1 or quote_currency = $1) and ($2::date is null or rate_date <= $2::date)
     order by rate_date desc, base_currency, quote_currency limit $3`,
    [options.currency?.toLowerCase() ?? null, options.until ?? null, options.limit ?? 100],
  );
  return rows;
}

/**
 * The rates that can apply to `currencies` -> `quote` (either direction) from `firstDay` through
 * `lastDay`: the latest of each direction on or before `firstDay`, and every later one.
 */
export async function loadFxRates(
  db: Queryable,
  currencies: string[],
  quote: string,
  firstDay: string,
  lastDay: string,
): Promise<FxRateRow[]> {
  if (currencies.length === 0) return [];
  const { rows } = await db.query<FxRateRow>(
    `select r.base_currency as base, r.quote_currency as quote, r.rate_date::text as "rateDate", r.rate::text as rate
     from public.fx_rates r
     where ((r.base_currency = any($1) and r.quote_currency = $2) or (r.base_currency = $2 and r.quote_currency = any($1)))
       and r.rate_date <= $4::date
       and r.rate_date >= coalesce((
         select max(r2.rate_date) from public.fx_rates r2
         where r2.base_currency = r.base_currency and r2.quote_currency = r.quote_currency and r2.rate_date <= $3::date
       ), $3::date)`,
    [currencies, quote, firstDay, lastDay],
  );
  return rows;
}
