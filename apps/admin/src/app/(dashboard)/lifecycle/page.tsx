import {
  type Interval,
  type Level,
  type LifecyclePoint,
  lifecycleSeries,
  recentTransitions,
  stageDistribution,
} from '@org/lifecycle';
import { Suspense } from 'react';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { formatDateTime } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import { param, type SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

export default async function LifecyclePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, sp, pool, app } = await pageContext(searchParams);
  const i = param(sp, 'interval');
  const interval: Interval =
    i === 'day' || i === 'week' || i === 'month' ? i : period.days <= 14 ? 'day' : 'week';
  const level: Level = param(sp, 'level') === 'account' ? 'account' : 'user';
  // The series (the page's slowest query) streams in its own section; stages and transitions at once.
  const series = lifecycleSeries(pool, { interval, from: period.fromDate, to: period.toDate, app, level });
  series.catch(() => {});
  const [distribution, transitions] = await Promise.all([
    stageDistribution(pool, { app, asOf: period.toDate, level }),
    recentTransitions(pool, { app, from: period.fromDate, to: period.toDate, level, limit: 25 }),
  ]);
  const extra = { interval, level };
  const subjects = level === 'user' ? 'Users' : 'Accounts';

  return (
    <>
      <h1>Lifecycle</h1>
      <PeriodSelector period={period} path="/lifecycle" extra={extra} />
      <form method="get" action="/lifecycle" className="filters">
        {period.preset ? (
          <input type="hidden" name="days" value={period.preset} />
        ) : (
          <input type="hidden" name="from" value={period.from} />
        )}
        <input type="hidden" name="to" value={period.to} />
        <label>
          Interval{' '}
          <select name="interval" defaultValue={interval}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <label>
          Level{' '}
          <select name="level" defaultValue={level}>
            <option value="user">users</option>
            <option value="account">accounts</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>

      <Suspense
        fallback={
          <Section
            title={`New, returning, resurrecting and dormant ${subjects.toLowerCase()} per ${interval}`}
            id="lifecycle-series"
          >
            <p className="loading" role="status">
              Loading lifecycle…
            </p>
          </Section>
        }
      >
        <SeriesSection series={series} interval={interval} subjects={subjects} />
      </Suspense>

      <div className="grid2">
        <Section title={`Stage distribution as of ${period.to}`} id="stages">
          {distribution.length ? (
            <>
              <Chart
                kind="bar"
                data={distribution}
                xKey="stage"
                xLabel="Stage"
                yLabel={subjects}
                format={{ kind: 'count' }}
                series={[{ key: 'count', label: subjects, color: '#2563eb' }]}
                height={220}
              />
              <ChartData
                caption="Subjects per stage"
                testId="table-stages"
                columns={[
                  { key: 'stage', label: 'Stage' },
                  { key: 'count', label: subjects, numeric: true },
                ]}
                rows={distribution}
              />
            </>
          ) : (
            <Empty>
              No lifecycle stages recorded yet. They appear after the weekly lifecycle job runs (
              <code>org-reports lifecycle run</code>).
            </Empty>
          )}
        </Section>
        <Section title="Recent transitions" id="transitions">
          {transitions.length ? (
            <DataTable
              caption={`Latest stage changes in the period (${transitions.length} shown)`}
              testId="table-transitions"
              columns={[
                { key: 'subject', label: level === 'user' ? 'User' : 'Account' },
                { key: 'from', label: 'From' },
                { key: 'to', label: 'To' },
                { key: 'score', label: 'Score', numeric: true },
                { key: 'at', label: 'At (UTC)' },
              ]}
              rows={transitions.map((t) => ({
                subject: t.subjectId,
                from: t.from ?? '—',
                to: t.to,
                score: t.score,
                at: formatDateTime(t.occurredAt),
              }))}
            />
          ) : (
            <Empty>No transitions in this period.</Empty>
          )}
        </Section>
      </div>
    </>
  );
}

async function SeriesSection({
  series: pending,
  interval,
  subjects,
}: {
  series: Promise<LifecyclePoint[]>;
  interval: Interval;
  subjects: string;
}) {
  const series = await pending;
  return (
    <Section
      title={`New, returning, resurrecting and dormant ${subjects.toLowerCase()} per ${interval}`}
      id="lifecycle-series"
    >
      {series.some((p) => p.new || p.returning || p.resurrecting || p.dormant) ? (
        <>
          <Chart
            kind="stacked"
            data={series.map((p) => ({
              period: p.period,
              new: p.new,
              returning: p.returning,
              resurrecting: p.resurrecting,
              dormant: -p.dormant,
            }))}
            xKey="period"
            xLabel={`${interval[0]!.toUpperCase()}${interval.slice(1)} starting (UTC)`}
            yLabel={subjects}
            format={{ kind: 'count' }}
            series={[
              { key: 'new', label: 'New', color: '#2563eb' },
              { key: 'returning', label: 'Returning', color: '#059669' },
              { key: 'resurrecting', label: 'Resurrecting', color: '#7c3aed' },
              { key: 'dormant', label: 'Dormant (negative)', color: '#dc2626' },
            ]}
          />
          <ChartData
            caption={`Lifecycle per ${interval}`}
            testId="table-lifecycle"
            columns={[
              { key: 'period', label: 'Interval start' },
              { key: 'new', label: 'New', numeric: true },
              { key: 'returning', label: 'Returning', numeric: true },
              { key: 'resurrecting', label: 'Resurrecting', numeric: true },
              { key: 'dormant', label: 'Dormant', numeric: true },
            ]}
            rows={series.map((p) => ({ ...p }))}
          />
        </>
      ) : (
        <Empty>No activity in this period.</Empty>
      )}
    </Section>
  );
}
