import { defaultFunnelSteps, defaultFunnelWindowDays, figure } from '@org/insights';
import { activeUsersSeries, featureUsage, funnel, stickiness, topUsers } from '@org/metrics';
import { Suspense } from 'react';
import { Await, Pending, started } from '../../../components/await.tsx';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { formatCount, formatPercent } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import { param, type SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

const STEP = /^[a-z][a-z0-9_]{0,63}$/;

function funnelSettings(sp: SearchParams) {
  const raw = (param(sp, 'steps') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // The default funnel is the one of the growth report and `org-reports kpis`.
  const steps =
    raw.length >= 2 && raw.length <= 10 && raw.every((s) => STEP.test(s)) ? raw : [...defaultFunnelSteps];
  const w = Number(param(sp, 'window'));
  const windowDays = Number.isInteger(w) && w >= 1 && w <= 90 ? w : defaultFunnelWindowDays;
  return { steps, windowDays };
}

const duration = (s: number | null) =>
  s === null
    ? '—'
    : s < 3600
      ? `${Math.round(s / 60)} min`
      : s < 86400
        ? `${(s / 3600).toFixed(1)} h`
        : `${(s / 86400).toFixed(1)} d`;

export default async function EngagementPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, sp, pool } = await pageContext(searchParams);
  const range = { from: period.fromDate, to: period.toDate };
  const { steps, windowDays } = funnelSettings(sp);
  // Every query starts now; each section streams in when its own answers (the funnel is the slowest).
  const active = started(
    Promise.all([
      activeUsersSeries(pool, range),
      stickiness(pool, { asOf: period.toDate, distribution: false }),
    ]),
  );
  const featuresQ = started(featureUsage(pool, range));
  const topQ = started(topUsers(pool, { ...range, limit: 10 }));
  const funnelQ = started(funnel(pool, { ...range, steps, windowDays, asOf: period.toDate }));
  const extra = { steps: steps.join(','), window: String(windowDays) };

  return (
    <>
      <h1>Engagement and funnels</h1>
      <PeriodSelector period={period} path="/engagement" extra={extra} />

      <Section title="Active users" id="active-users">
        <Suspense fallback={<Pending />}>
          <Await promise={active}>
            {([series, stick]) => (
              <>
                <dl className="kpis">
                  <div className="kpi" data-testid="kpi-dau">
                    <dt>{figure('engagement.dau').label}</dt>
                    <dd data-testid="kpi-dau-value">{formatCount(stick.dau)}</dd>
                  </div>
                  <div className="kpi" data-testid="kpi-wau">
                    <dt>{figure('engagement.wau').label}</dt>
                    <dd data-testid="kpi-wau-value">{formatCount(stick.wau)}</dd>
                  </div>
                  <div className="kpi" data-testid="kpi-mau">
                    <dt>{figure('engagement.mau').label}</dt>
                    <dd data-testid="kpi-mau-value">{formatCount(stick.mau)}</dd>
                  </div>
                  <div className="kpi" data-testid="kpi-stickiness">
                    <dt>{figure('engagement.stickiness').label}</dt>
                    <dd data-testid="kpi-stickiness-value">{formatPercent(stick.dauOverMau)}</dd>
                  </div>
                  <div className="kpi" data-testid="kpi-dau-wau">
                    <dt>{figure('engagement.dauOverWau').label}</dt>
                    <dd>{formatPercent(stick.dauOverWau)}</dd>
                  </div>
                </dl>
                {series.some((d) => d.mau > 0) ? (
                  <>
                    <Chart
                      kind="line"
                      data={series.map((d) => ({ day: d.day, dau: d.dau, wau: d.wau, mau: d.mau }))}
                      xKey="day"
                      xLabel="Day (UTC)"
                      yLabel="Active users"
                      format={{ kind: 'count' }}
                      series={[
                        { key: 'dau', label: 'DAU', color: '#2563eb' },
                        { key: 'wau', label: 'WAU', color: '#059669' },
                        { key: 'mau', label: 'MAU', color: '#d97706' },
                      ]}
                    />
                    <ChartData
                      caption="Active users per day"
                      testId="table-active-users"
                      columns={[
                        { key: 'day', label: 'Day' },
                        { key: 'dau', label: 'DAU', numeric: true },
                        { key: 'wau', label: 'WAU', numeric: true },
                        { key: 'mau', label: 'MAU', numeric: true },
                      ]}
                      rows={series.map((d) => ({ day: d.day, dau: d.dau, wau: d.wau, mau: d.mau }))}
                    />
                  </>
                ) : (
                  <Empty>No user activity in this period.</Empty>
                )}
              </>
            )}
          </Await>
        </Suspense>
      </Section>

      <div className="grid2">
        <Section title="Feature usage" id="feature-usage">
          <Suspense fallback={<Pending what="figures" />}>
            <Await promise={featuresQ}>
              {(features) => (
                <>
                  {features.length ? (
                    <>
                      <Chart
                        kind="bar"
                        data={features.map((f) => ({ name: f.name, events: f.events, users: f.users }))}
                        xKey="name"
                        xLabel="Feature event"
                        yLabel="Count"
                        format={{ kind: 'count' }}
                        series={[
                          { key: 'events', label: 'Events', color: '#2563eb' },
                          { key: 'users', label: 'Users', color: '#059669' },
                        ]}
                      />
                      <ChartData
                        caption="Feature usage"
                        testId="table-feature-usage"
                        columns={[
                          { key: 'name', label: 'Feature event' },
                          { key: 'events', label: 'Events', numeric: true },
                          { key: 'users', label: 'Users', numeric: true },
                        ]}
                        rows={features.map((f) => ({
                          name: f.name,
                          events: formatCount(f.events),
                          users: formatCount(f.users),
                        }))}
                      />
                    </>
                  ) : (
                    <Empty>No feature events in this period.</Empty>
                  )}
                </>
              )}
            </Await>
          </Suspense>
        </Section>

        <Section title="Top users" id="top-users">
          <Suspense fallback={<Pending what="users" />}>
            <Await promise={topQ}>
              {(top) => (
                <>
                  {top.length ? (
                    <DataTable
                      caption="Most active users in the period"
                      testId="table-top-users"
                      columns={[
                        { key: 'user', label: 'User' },
                        { key: 'activeDays', label: 'Active days', numeric: true },
                        { key: 'events', label: 'Events', numeric: true },
                        { key: 'last', label: 'Last active' },
                      ]}
                      rows={top.map((u) => ({
                        user: u.userId,
                        activeDays: u.activeDays,
                        events: u.events,
                        last: u.lastActiveDay,
                      }))}
                    />
                  ) : (
                    <Empty>No active users in this period.</Empty>
                  )}
                </>
              )}
            </Await>
          </Suspense>
        </Section>
      </div>

      <Section title="Funnel" id="funnel">
        <form method="get" action="/engagement" className="filters">
          {period.preset ? (
            <input type="hidden" name="days" value={period.preset} />
          ) : (
            <input type="hidden" name="from" value={period.from} />
          )}
          <input type="hidden" name="to" value={period.to} />
          <label>
            Steps (event names, comma-separated){' '}
            <input name="steps" defaultValue={steps.join(',')} size={60} />
          </label>
          <label>
            Window (days) <input name="window" type="number" min={1} max={90} defaultValue={windowDays} />
          </label>
          <button type="submit">Update funnel</button>
        </form>
        <Suspense fallback={<Pending what="funnel" />}>
          <Await promise={funnelQ}>
            {(funnelSteps) => (
              <>
                {funnelSteps[0]?.users ? (
                  <>
                    <Chart
                      kind="bar"
                      data={funnelSteps.map((s) => ({ step: `${s.step}. ${s.name}`, users: s.users }))}
                      xKey="step"
                      xLabel="Step"
                      yLabel="Users"
                      format={{ kind: 'count' }}
                      series={[{ key: 'users', label: 'Users', color: '#7c3aed' }]}
                    />
                    <ChartData
                      caption={`Funnel, ${windowDays}-day conversion window`}
                      testId="table-funnel"
                      columns={[
                        { key: 'step', label: 'Step' },
                        { key: 'users', label: 'Users', numeric: true },
                        { key: 'conversion', label: '% of step 1', numeric: true },
                        { key: 'fromPrevious', label: '% of previous', numeric: true },
                        { key: 'median', label: 'Median time from previous', numeric: true },
                      ]}
                      rows={funnelSteps.map((s) => ({
                        step: `${s.step}. ${s.name}`,
                        users: s.users,
                        conversion: formatPercent(s.conversion),
                        fromPrevious: formatPercent(s.conversionFromPrevious),
                        median: duration(s.medianSecondsFromPrevious),
                      }))}
                    />
                  </>
                ) : (
                  <Empty>Nobody did the first step ({steps[0]}) in this period.</Empty>
                )}
              </>
            )}
          </Await>
        </Suspense>
      </Section>
    </>
  );
}
