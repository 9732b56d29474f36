import 'server-only';
import { type Granularity, type RetentionMode, revenueRetention, userRetention } from '@org/cohorts';
import type { Pool } from '@org/db';
import { type Period, param, type SearchParams } from './period.ts';

/** Cohort page settings from the URL, shared by the page and its CSV export. */
export function cohortSettings(sp: SearchParams): { granularity: Granularity; mode: RetentionMode } {
  const g = param(sp, 'granularity');
  const m = param(sp, 'mode');
  return {
    granularity: g === 'day' || g === 'month' ? g : 'week',
    mode: m === 'on_or_after' ? 'on_or_after' : 'on',
  };
}

/** Cohorts that started in the period, activity and MRR counted up to its end. */
export async function loadCohorts(
  pool: Pool,
  period: Period,
  settings: { granularity: Granularity; mode: RetentionMode },
  currency: string,
) {
  const range = { from: period.fromDate, to: period.toDate, asOf: period.toDate };
  const [users, revenue] = await Promise.all([
    userRetention(pool, { ...range, granularity: settings.granularity, mode: settings.mode }),
    revenueRetention(pool, { ...range, currency }),
  ]);
  return { users, revenue };
}

const csvCell = (v: string | number | null) => {
  if (v === null) return '';
  const s = String(v);
  // Quote, and neutralise spreadsheet formulas in text cells.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export const toCsv = (rows: (string | number | null)[][]) =>
  `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
