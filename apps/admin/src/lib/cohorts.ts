import 'server-only';
import {
  type Granularity,
  type RetentionMode,
  recentCohortRange,
  revenueRetention,
  userRetention,
} from '@org/cohorts';
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

/** How many recent cohorts the page shows per granularity (the refresh job's lookback). */
export const RECENT_COHORTS: Record<Granularity, number> = { day: 30, week: 12, month: 12 };

/**
 * The recent cohorts as of the period's end (the last 12 weeks or months, 30 days), whatever the
 * period's length: a 30-day period still shows three months of weekly cohorts. Members, activity
 * and MRR are counted up to the period's end, never later. Revenue cohorts: the last 12
 * first-paid months.
 */
export async function loadCohorts(
  pool: Pool,
  period: Period,
  settings: { granularity: Granularity; mode: RetentionMode },
  currency: string,
) {
  const asOf = period.toDate;
  const [users, revenue] = await Promise.all([
    userRetention(pool, {
      ...recentCohortRange(settings.granularity, asOf, RECENT_COHORTS[settings.granularity]),
      asOf,
      granularity: settings.granularity,
      mode: settings.mode,
    }),
    revenueRetention(pool, { ...recentCohortRange('month', asOf, 12), asOf, currency }),
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
