import { conversionFactor, parseDecimal, type Ratio } from './money.ts';

/**
 * Exchange rates for reports (METRICS.md, "Currencies"). Rates are daily: the rate of a day is the
 * latest one known on or before it. A pair is looked up directly (1 base = rate quote) and, when
 * only the opposite direction is stored, as its inverse; on the same date the direct rate wins.
 * Days are ISO dates (`YYYY-MM-DD`, UTC), which compare as strings.
 */

/** One stored rate: 1 `base` = `rate` `quote` on `rateDate`. */
export interface FxRateRow {
  base: string;
  quote: string;
  rateDate: string;
  /** Decimal text, as stored (`1.0845000000`). */
  rate: string;
}

/** The rate a report applied for one currency over a run of days. */
export interface FxRateUsed {
  /** The currency converted from. */
  base: string;
  /** The reporting currency. */
  quote: string;
  /** Date of the stored rate. */
  rateDate: string;
  /** 1 base = `rate` quote as stored; when `inverse`, the stored row is quote -> base and 1 / rate applies. */
  rate: string;
  inverse: boolean;
  /** First day the rate applied in this report, and the last (inclusive). */
  from: string;
  until: string;
}

/** A rate of one currency over [fromDay, toDay) as a factor from its minor units to the quote's. */
export interface FxSegment {
  currency: string;
  /** Inclusive; null = since always (the reporting currency itself). */
  fromDay: string | null;
  /** Exclusive; null = open. */
  toDay: string | null;
  factor: Ratio;
}

export interface FxNeed {
  currency: string;
  /** The first day a rate of this currency is needed. */
  firstDay: string;
}

export interface MissingFxRate {
  base: string;
  quote: string;
  date: string;
}

export interface ResolvedRates {
  segments: FxSegment[];
  used: FxRateUsed[];
}

export const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/** The day whose rate converts "MRR as of t": the UTC day of the instant just before t. */
export const rateDayOf = (t: Date): string => isoDay(new Date(t.getTime() - 1));

const previousDay = (day: string): string => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000));

/**
 * The rate segments of every needed currency into `quote` from its first needed day through
 * `lastDay`, or the first missing pair and date (the earliest day with no rate on or before it).
 */
export function resolveRates(
  rows: FxRateRow[],
  needs: FxNeed[],
  quote: string,
  lastDay: string,
): { ok: true; value: ResolvedRates } | { ok: false; error: MissingFxRate } {
  const q = quote.toLowerCase();
  const segments: FxSegment[] = [{ currency: q, fromDay: null, toDay: null, factor: { num: 1n, den: 1n } }];
  const used: FxRateUsed[] = [];
  const byCurrency = new Map<string, string>();
  for (const n of needs) {
    const c = n.currency.toLowerCase();
    if (c === q) continue;
    const prev = byCurrency.get(c);
    if (prev === undefined || n.firstDay < prev) byCurrency.set(c, n.firstDay);
  }
  for (const [c, firstDay] of [...byCurrency.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    // Candidates in application order: by date, the inverse before the direct rate of the same date.
    const candidates = rows
      .filter(
        (r) =>
          (r.base.toLowerCase() === c && r.quote.toLowerCase() === q) ||
          (r.base.toLowerCase() === q && r.quote.toLowerCase() === c),
      )
      .map((r) => {
        const inverse = r.base.toLowerCase() === q;
        const parsed = parseDecimal(r.rate);
        return { row: r, inverse, rate: parsed };
      })
      .filter((x): x is { row: FxRateRow; inverse: boolean; rate: Ratio } => x.rate !== null)
      .sort((a, b) =>
        a.row.rateDate !== b.row.rateDate
          ? a.row.rateDate < b.row.rateDate
            ? -1
            : 1
          : Number(!a.inverse) - Number(!b.inverse),
      );
    // The effective candidate per distinct date (the last of that date in application order).
    const perDate = new Map<string, (typeof candidates)[number]>();
    for (const x of candidates) perDate.set(x.row.rateDate, x);
    const dates = [...perDate.keys()].sort();
    const startIndex = dates.filter((d) => d <= firstDay).length - 1;
    if (startIndex < 0) return { ok: false, error: { base: c, quote: q, date: firstDay } };
    const effective = dates.slice(startIndex).filter((d, i) => i === 0 || d <= lastDay);
    effective.forEach((d, i) => {
      const x = perDate.get(d)!;
      const next = effective[i + 1] ?? null;
      const rate = x.inverse ? { num: x.rate.den, den: x.rate.num } : x.rate;
      segments.push({ currency: c, fromDay: d, toDay: next, factor: conversionFactor(rate, c, q) });
      used.push({
        base: c,
        quote: q,
        rateDate: d,
        rate: x.row.rate,
        inverse: x.inverse,
        from: i === 0 ? firstDay : d,
        until: next === null ? lastDay : previousDay(next),
      });
    });
  }
  return { ok: true, value: { segments, used } };
}

/** The clear message of a missing rate. */
export function missingFxRateMessage(m: MissingFxRate): string {
  return `No exchange rate ${m.base.toUpperCase()}->${m.quote.toUpperCase()} on or before ${m.date} (nor ${m.quote.toUpperCase()}->${m.base.toUpperCase()}): load one, e.g. org-reports fx set ${m.base} ${m.quote} ${m.date} <rate>`;
}

/** A rate to store: 1 `base` = `rate` `quote` on `date`. */
export interface FxRateInput {
  base: string;
  quote: string;
  /** YYYY-MM-DD. */
  date: string;
  /** Positive decimal text (up to 10 integer and 10 fractional digits, as fx_rates stores). */
  rate: string;
  source?: string | undefined;
}

/** Validates one rate; the message says what is wrong. */
export function validateFxRate(
  r: FxRateInput,
): { ok: true; value: FxRateInput } | { ok: false; error: string } {
  const base = r.base.trim().toLowerCase();
  const quote = r.quote.trim().toLowerCase();
  const date = r.date.trim();
  const rate = r.rate.trim();
  if (!/^[a-z]{3}$/.test(base))
    return { ok: false, error: `base currency must be a 3-letter ISO code, not "${r.base}"` };
  if (!/^[a-z]{3}$/.test(quote))
    return { ok: false, error: `quote currency must be a 3-letter ISO code, not "${r.quote}"` };
  if (base === quote) return { ok: false, error: `base and quote are the same currency (${base})` };
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
    isoDay(new Date(`${date}T00:00:00Z`)) !== date
  )
    return { ok: false, error: `date must be a calendar date like 2026-03-01, not "${r.date}"` };
  if (!/^\d{1,10}(\.\d{1,10})?$/.test(rate) || parseDecimal(rate) === null)
    return { ok: false, error: `rate must be a positive decimal with at most 10 decimals, not "${r.rate}"` };
  return { ok: true, value: { base, quote, date, rate, ...(r.source ? { source: r.source } : {}) } };
}

/**
 * Parses a CSV of rates: a header naming at least `base,quote,date,rate` (any order, optional
 * `source`), then one rate per line. Blank lines and lines starting with `#` are skipped.
 */
export function parseFxCsv(
  text: string,
): { ok: true; value: FxRateInput[] } | { ok: false; error: { line: number; message: string } } {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const out: FxRateInput[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells.map((c) => c.toLowerCase());
      const missing = ['base', 'quote', 'date', 'rate'].filter((c) => !header!.includes(c));
      if (missing.length)
        return {
          ok: false,
          error: {
            line: i + 1,
            message: `header must name base,quote,date,rate (missing ${missing.join(', ')})`,
          },
        };
      continue;
    }
    const cell = (name: string) => cells[header!.indexOf(name)] ?? '';
    if (cells.length !== header.length)
      return {
        ok: false,
        error: { line: i + 1, message: `expected ${header.length} cells, found ${cells.length}` },
      };
    const v = validateFxRate({
      base: cell('base'),
      quote: cell('quote'),
      date: cell('date'),
      rate: cell('rate'),
      source: header.includes('source') && cell('source') ? cell('source') : undefined,
    });
    if (!v.ok) return { ok: false, error: { line: i + 1, message: v.error } };
    out.push(v.value);
  }
  if (!header)
    return { ok: false, error: { line: 1, message: 'empty file: expected a header base,quote,date,rate' } };
  return { ok: true, value: out };
}
