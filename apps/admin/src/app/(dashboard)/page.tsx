import {
  collectSnapshot,
  defaultFunnel,
  type FigureKey,
  figure,
  figureChange,
  type MetricsSnapshot,
} from '@org/insights';
import { cache, Suspense } from 'react';
import { Chart, Sparkline } from '../../components/charts.tsx';
import { ChartData, Empty, Section } from '../../components/data-table.tsx';
import { Kpi } from '../../components/kpi.tsx';
import { PeriodSelector } from '../../components/period-selector.tsx';
import { pool } from '../../lib/db.ts';
import { formatMoney, formatUnit } from '../../lib/format.ts';
import { pageContext } from '../../lib/page.ts';
import type { Period, SearchParams } from '../../lib/period.ts';

export const dynamic = 'force-dynamic';

interface Card {
  /** The figure key of the catalog and of the growth report (`org-reports growth --format json`). */
  key: FigureKey;
  spark?: (s: MetricsSnapshot) => number[] | undefined;
}

/** Labels, units and the way changes show come from the figure catalog of @org/insights. */
const cards: Card[] = [
  { key: 'revenue.mrr', spark: (s) => s.revenue?.mrrSeries?.map((p) => p.value) },
  { key: 'revenue.arr' },
  { key: 'revenue.activeSubscriptions' },
  { key: 'revenue.newRevenue' },
  { key: 'users.total' },
  { key: 'users.new' },
  { key: 'engagement.dau', spark: (s) => s.engagement?.dauSeries?.map((p) => p.value) },
  { key: 'engagement.averageDau' },
  { key: 'engagement.wau' },
  { key: 'engagement.mau' },
  { key: 'engagement.stickiness' },
  { key: 'users.activationRate' },
];

/** The period's series (MRR and DAU by day), once per request however many components ask. */
const seriesOf = cache((start: string, end: string, currency: string) =>
  pool().then((db) =>
    collectSnapshot(
      db,
      { start: new Date(start), end: new Date(end) },
      { currency, funnel: defaultFunnel, sections: ['series'] },
    ),
  ),
);

async function Spark({ series }: { series: Promise<number[] | undefined> }) {
  const values = await series;
  return values?.length ? <Sparkline values={values} /> : null;
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, currency } = await pageContext(searchParams);
  const range = [period.fromDate.toISOString(), period.toDate.toISOString(), currency] as const;
  // Figures and charts stream separately: the cards do not wait for the day-by-day series (their
  // sparklines fill in when the series arrive); the full page is the slower of the two.
  return (
    <>
      <h1>Overview</h1>
      <PeriodSelector period={period} path="/" />
      <Suspense fallback={<Loading what="figures" />}>
        <Cards period={period} currency={currency} range={range} />
      </Suspense>
      <Suspense fallback={<Loading what="charts" />}>
        <Charts currency={currency} range={range} />
      </Suspense>
    </>
  );
}

function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

async function Cards({
  period,
  currency,
  range,
}: {
  period: Period;
  currency: string;
  range: readonly [string, string, string];
}) {
  const db = await pool();
  // The growth report's own collector: the same figures as `org-reports growth` for this period,
  // limited to the groups the cards show (no product or funnel queries).
  const options = { currency, funnel: defaultFunnel, sections: ['revenue', 'users', 'engagement'] as const };
  const [now, before] = await Promise.all([
    collectSnapshot(db, { start: period.fromDate, end: period.toDate }, options),
    collectSnapshot(
      db,
      { start: new Date(`${period.previous.from}T00:00:00Z`), end: period.fromDate },
      options,
    ),
  ]);
  const series = seriesOf(...range);
  return (
    <>
      <dl className="kpis">
        {cards.map((c) => {
          const f = figure(c.key);
          const current = f.read(now.snapshot);
          const previous = f.read(before.snapshot);
          return (
            <Kpi
              key={c.key}
              testId={c.key}
              label={f.label}
              value={formatUnit(f.unit, current, currency)}
              // Counts and money: relative %; ratios: percentage points; a rise of churn is red.
              change={figureChange(f, current, previous, currency)}
              spark={
                c.spark ? (
                  <Suspense fallback={null}>
                    <Spark series={series.then((r) => c.spark?.(r.snapshot))} />
                  </Suspense>
                ) : undefined
              }
              note={`previous period: ${formatUnit(f.unit, previous, currency)}`}
            />
          );
        })}
      </dl>
      {now.unavailable.length ? (
        <details>
          <summary>Figures not available in this installation ({now.unavailable.length})</summary>
          <ul>
            {now.unavailable.map((u) => (
              <li key={u}>{u}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

async function Charts({ currency, range }: { currency: string; range: readonly [string, string, string] }) {
  const { snapshot } = await seriesOf(...range);
  const mrrSeries = snapshot.revenue?.mrrSeries ?? [];
  const dauSeries = snapshot.engagement?.dauSeries ?? [];
  return (
    <div className="grid2">
      <Section title="MRR by day" id="overview-mrr">
        {mrrSeries.length ? (
          <>
            <Chart
              kind="area"
              data={mrrSeries.map((p) => ({ day: p.date, mrr: p.value }))}
              xKey="day"
              xLabel="Day (UTC)"
              yLabel={`MRR (${currency.toUpperCase()})`}
              format={{ kind: 'money', currency }}
              series={[{ key: 'mrr', label: 'MRR', color: '#2563eb' }]}
              height={220}
            />
            <ChartData
              caption="MRR at the end of each day"
              columns={[
                { key: 'day', label: 'Day' },
                { key: 'mrr', label: 'MRR', numeric: true },
              ]}
              rows={mrrSeries.map((p) => ({ day: p.date, mrr: formatMoney(p.value, currency) }))}
            />
          </>
        ) : (
          <Empty>No revenue recorded yet.</Empty>
        )}
      </Section>
      <Section title="Daily active users" id="overview-dau">
        {dauSeries.some((p) => p.value > 0) ? (
          <>
            <Chart
              kind="line"
              data={dauSeries.map((p) => ({ day: p.date, dau: p.value }))}
              xKey="day"
              xLabel="Day (UTC)"
              yLabel="Active users"
              format={{ kind: 'count' }}
              series={[{ key: 'dau', label: 'DAU', color: '#059669' }]}
              height={220}
            />
            <ChartData
              caption="Daily active users"
              columns={[
                { key: 'day', label: 'Day' },
                { key: 'dau', label: 'DAU', numeric: true },
              ]}
              rows={dauSeries.map((p) => ({ day: p.date, dau: p.value }))}
            />
          </>
        ) : (
          <Empty>No user activity in this period.</Empty>
        )}
      </Section>
    </div>
  );
}
