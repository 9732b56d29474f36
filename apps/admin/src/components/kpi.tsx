import type { ReactNode } from 'react';
import { change, formatPercent } from '../lib/format.ts';

export function Kpi({
  label,
  value,
  current,
  previous,
  spark,
  testId,
  note,
}: {
  label: string;
  value: string;
  current?: number | null | undefined;
  previous?: number | null | undefined;
  /** A sparkline (or a Suspense boundary that streams one in). */
  spark?: ReactNode;
  testId: string;
  note?: string;
}) {
  const delta = change(current, previous);
  return (
    <div className="kpi" data-testid={`kpi-${testId}`}>
      <dt>{label}</dt>
      <dd data-testid={`kpi-${testId}-value`}>{value}</dd>
      <div className={`delta ${delta === null ? '' : delta >= 0 ? 'up' : 'down'}`}>
        {delta === null
          ? (note ?? 'no previous value to compare')
          : `${delta >= 0 ? '▲' : '▼'} ${formatPercent(Math.abs(delta))} vs previous period`}
      </div>
      {spark ?? null}
    </div>
  );
}
