import Link from 'next/link';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { cohortSettings, loadCohorts, RECENT_COHORTS } from '../../../lib/cohorts.ts';
import { formatMoney, formatPercent } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import { periodQuery, type SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

const adjective = { day: 'daily', week: 'weekly', month: 'monthly' } as const;

const heat = (rate: number | null) =>
  rate === null
    ? undefined
    : {
        background: `rgba(37, 99, 235, ${Math.min(1, 0.08 + rate * 0.9).toFixed(2)})`,
        color: rate > 0.5 ? '#fff' : undefined,
      };

export default async function CohortsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, sp, pool, currency } = await pageContext(searchParams);
  const settings = cohortSettings(sp);
  const { users, revenue } = await loadCohorts(pool, period, settings, currency);
  const extra = { granularity: settings.granularity, mode: settings.mode };
  const maxPeriods = Math.max(0, ...users.cohorts.map((c) => c.periods.length));
  const unit = settings.granularity;
  const maxMonths = Math.max(0, ...revenue.map((c) => c.months.length));
  const periodIndices = Array.from({ length: maxPeriods }, (_, k) => k);
  const monthIndices = Array.from({ length: maxMonths }, (_, k) => k);

  return (
    <>
      <h1>Cohorts</h1>
      <PeriodSelector period={period} path="/cohorts" extra={extra} />
      <form method="get" action="/cohorts" className="filters">
        {period.preset ? (
          <input type="hidden" name="days" value={period.preset} />
        ) : (
          <input type="hidden" name="from" value={period.from} />
        )}
        <input type="hidden" name="to" value={period.to} />
        <label>
          Granularity{' '}
          <select name="granularity" defaultValue={settings.granularity}>
            <option value="day">day</option>
            <option value="week">week (ISO)</option>
            <option value="month">month</option>
          </select>
        </label>
        <label>
          Retention{' '}
          <select name="mode" defaultValue={settings.mode}>
            <option value="on">active in period k</option>
            <option value="on_or_after">active in period k or later</option>
          </select>
        </label>
        <button type="submit">Apply</button>
        <Link
          href={`/cohorts/export?${periodQuery(period, { ...extra, kind: 'users' })}`}
          data-testid="csv-users"
          prefetch={false}
        >
          Export users CSV
        </Link>
        <Link
          href={`/cohorts/export?${periodQuery(period, { ...extra, kind: 'revenue' })}`}
          data-testid="csv-revenue"
          prefetch={false}
        >
          Export revenue CSV
        </Link>
      </form>

      <Section title={`User retention by signup ${unit}`} id="user-retention">
        {users.cohorts.length ? (
          <>
            <div style={{ overflowX: 'auto' }}>
              <table className="data heat" data-testid="table-user-retention">
                <caption>
                  Share of each cohort active {settings.mode === 'on' ? 'in' : 'in or after'} {unit} k after
                  signup: the last {RECENT_COHORTS[settings.granularity]} {adjective[unit]} cohorts as of{' '}
                  {period.to}
                  (exclusive), members and activity before it; blank: not reached yet
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Cohort</th>
                    <th scope="col" className="num">
                      Users
                    </th>
                    {periodIndices.map((k) => (
                      <th scope="col" className="num" key={k}>
                        {unit} {k}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {users.cohorts.map((c) => (
                    <tr key={c.cohortStart}>
                      <th scope="row">{c.cohortStart}</th>
                      <td className="num">{c.size}</td>
                      {periodIndices.map((k) => {
                        // A period the cohort has not reached yet is null: blank, not 0%.
                        const cell = c.periods[k];
                        const reached = cell !== undefined && cell.users !== null;
                        return (
                          <td
                            key={k}
                            style={reached ? heat(cell.rate) : undefined}
                            title={reached ? `${cell.users} users` : 'not reached yet'}
                          >
                            {reached ? formatPercent(cell.rate) : ''}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                  <tr>
                    <th scope="row">All (weighted)</th>
                    <td className="num">{users.cohorts.reduce((n, c) => n + c.size, 0)}</td>
                    {users.summary.map((s) => (
                      <td key={s.period}>{s.users === null ? '' : formatPercent(s.rate)}</td>
                    ))}
                  </tr>
                </tbody>
              </table>
            </div>
            <Chart
              kind="line"
              // A period no cohort has reached has no point (null), the curve does not fall to 0%.
              data={users.summary.map((s) => ({ period: `${unit} ${s.period}`, rate: s.rate }))}
              xKey="period"
              xLabel={`${unit[0]!.toUpperCase()}${unit.slice(1)}s since signup`}
              yLabel="Retained users"
              format={{ kind: 'percent' }}
              series={[{ key: 'rate', label: 'Weighted retention', color: '#2563eb' }]}
              height={220}
            />
            <ChartData
              caption="Weighted retention curve"
              columns={[
                { key: 'period', label: 'Period' },
                { key: 'users', label: 'Retained users', numeric: true },
                { key: 'rate', label: 'Retention', numeric: true },
              ]}
              rows={users.summary.map((s) => ({
                period: `${unit} ${s.period}`,
                users: s.users,
                rate: formatPercent(s.rate),
              }))}
            />
          </>
        ) : (
          <Empty>No user signed up before {period.to} in the recent cohorts.</Empty>
        )}
      </Section>

      <Section title="Revenue retention by first paid month" id="revenue-retention">
        {revenue.length ? (
          <div style={{ overflowX: 'auto' }}>
            <table className="data heat" data-testid="table-revenue-retention">
              <caption>
                Net revenue retention (NRR; GRR in brackets) of customers by the month of their first payment,
                in {currency.toUpperCase()}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Cohort</th>
                  <th scope="col" className="num">
                    Customers
                  </th>
                  <th scope="col" className="num">
                    Start MRR
                  </th>
                  {monthIndices.map((k) => (
                    <th scope="col" className="num" key={k}>
                      month {k}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {revenue.map((c) => (
                  <tr key={`${c.currency}-${c.cohortMonth}`}>
                    <th scope="row">{c.cohortMonth}</th>
                    <td className="num">{c.customers}</td>
                    <td className="num">{formatMoney(c.startMrr, c.currency)}</td>
                    {monthIndices.map((k) => {
                      const m = c.months[k];
                      return (
                        <td key={k} style={m ? heat(m.nrr === null ? null : Math.min(1, m.nrr)) : undefined}>
                          {m ? `${formatPercent(m.nrr)} (${formatPercent(m.grr)})` : ''}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No customer started paying in the 12 months before {period.to}.</Empty>
        )}
      </Section>
    </>
  );
}
