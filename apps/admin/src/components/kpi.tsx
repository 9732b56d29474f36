import type { ReactNode } from 'react';
import { change, formatPercent } from '../lib/format.ts';

/** A change as the figure catalog shows it (`figureChange` of @org/insights). */
export interface KpiChange {
  /** "+12.5%" for counts and money, "-2.0 pp" for ratios. */
  text: string;
  direction: 'up' | 'down' | 'flat';
  /** For the better (green), the worse (red): a rise of churn is bad. */
  tone: 'good' | 'bad' | 'neutral';
}

export function Kpi({
  label,
  value,
  current,
  previous,
  change: given,
  spark,
  testId,
  note,
}: {
  label: string;
  value: string;
  current?: number | null | undefined;
  previous?: number | null | undefined;
  /** The change the catalog's way; without it, the relative change of current against previous. */
  change?: KpiChange | null | undefined;
  /** A sparkline (or a Suspense boundary that streams one in). */
  spark?: ReactNode;
  testId: string;
  note?: string;
}) {
  const delta = change(current, previous);
  // A change that shows as 0.0% is no change: neither green nor red, no arrow.
  const shown = delta === null ? null : formatPercent(Math.abs(delta));
  const fallback: KpiChange | null =
    delta === null
      ? null
      : shown === '0.0%'
        ? { text: shown, direction: 'flat', tone: 'neutral' }
        : { text: shown!, direction: delta > 0 ? 'up' : 'down', tone: delta > 0 ? 'good' : 'bad' };
  const c = given === undefined ? fallback : given;
  const tone = c === null ? '' : c.direction === 'flat' ? 'flat' : c.tone === 'good' ? 'up' : 'down';
  return (
    <div className="kpi" data-testid={`kpi-${testId}`}>
      <dt>{label}</dt>
      <dd data-testid={`kpi-${testId}-value`}>{value}</dd>
      <div className={`delta ${tone}`} data-testid={`kpi-${testId}-delta`}>
        {c === null
          ? (note ?? 'no previous value to compare')
          : c.direction === 'flat'
            ? 'no change vs previous period'
            : `${c.direction === 'up' ? '▲' : '▼'} ${c.text.replace(/^[+-]/, '')} vs previous period`}
      </div>
      {spark ?? null}
    </div>
  );
}
