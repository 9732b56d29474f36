import {
  movementsSeries,
  mrrSeries,
  recentPayments,
  recentRefunds,
  revenueSummary,
  type SeriesInterval,
  topCustomers,
} from '@org/billing-ledger';
import type { Pool } from '@org/db';
import { type FigureKey, figure } from '@org/insights';
import { Suspense } from 'react';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { formatCount, formatDateTime, formatMoney, formatPercent, formatRatio } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import type { SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

const seriesInterval = (days: number): SeriesInterval =>
  days <= 31 ? 'day' : days <= 180 ? 'week' : 'month';

export default async function RevenuePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, pool, currency } = await pageContext(searchParams);
  const q = { from: period.fromDate, to: period.toDate, currency };
  const mrrInterval: SeriesInterval = period.days <= 90 ? 'day' : 'week';
  const moveInterval = seriesInterval(period.days);
  // The same summary `org-reports revenue --from --to --json` prints.
  // The MRR series streams in its own section (the slowest query of the page); the rest at once.
  const [s, moves, top, payments, refunds] = await Promise.all([
    revenueSummary(pool, q),
    movementsSeries(pool, { ...q, interval: moveInterval }),
    topCustomers(pool, { asOf: period.toDate, currency, limit: 10 }),
    recentPayments(pool, { asOf: period.toDate, currency, limit: 10 }),
    recentRefunds(pool, { asOf: period.toDate, currency, limit: 10 }),
  ]);
  const money = (v: number | null) => formatMoney(v, currency);
  // Labels from the figure catalog, values from the summary `org-reports revenue --json` prints.
  const kpi = (id: string, key: FigureKey, value: string, label = figure(key).label) => ({
    id,
    label,
    value,
  });
  const kpis: { id: string; label: string; value: string }[] = [
    kpi('mrr', 'revenue.mrr', money(s.mrr), `MRR as of ${period.to}`),
    kpi('arr', 'revenue.arr', money(s.arr)),
    kpi('payingCustomers', 'revenue.payingCustomers', formatCount(s.payingCustomers)),
    kpi('arpa', 'revenue.arpa', money(s.arpa)),
    kpi('activeSubscriptions', 'revenue.activeSubscriptions', formatCount(s.activeSubscriptions)),
    kpi('customerChurnRate', 'revenue.customerChurnRate', formatPercent(s.customerChurnRate)),
    kpi('grossMrrChurnRate', 'revenue.grossMrrChurn', formatPercent(s.grossMrrChurnRate)),
    kpi('netMrrChurnRate', 'revenue.netMrrChurn', formatPercent(s.netMrrChurnRate)),
    kpi('nrr', 'revenue.nrr', formatPercent(s.nrr)),
    kpi('grr', 'revenue.grr', formatPercent(s.grr)),
    kpi('quickRatio', 'revenue.quickRatio', formatRatio(s.quickRatio)),
    kpi('ltv', 'revenue.ltv', money(s.ltv)),
    kpi('cashCollected', 'revenue.grossCashCollected', money(s.cash.collected)),
    kpi('refunds', 'revenue.refunds', money(s.cash.refunds)),
    kpi('netCashCollected', 'revenue.cashCollected', money(s.cash.net)),
  ];
  const movementRows = [
    { kind: figure('revenue.movements.new').label, amount: s.movements.new, customers: s.newCustomers },
    {
      kind: figure('revenue.movements.reactivation').label,
      amount: s.movements.reactivation,
      customers: s.reactivatedCustomers,
    },
    { kind: figure('revenue.movements.expansion').label, amount: s.movements.expansion, customers: null },
    {
      kind: figure('revenue.movements.contraction').label,
      amount: s.movements.contraction,
      sign: -1,
      customers: null,
    },
    {
      kind: figure('revenue.movements.churn').label,
      amount: s.movements.churn,
      sign: -1,
      customers: s.churnedCustomers,
    },
    { kind: figure('revenue.movements.net').label, amount: s.movements.net, customers: null },
  ];
  const label = (iso: string) => iso.slice(0, 10);

  return (
    <>
      <h1>Revenue</h1>
      <PeriodSelector period={period} path="/revenue" />
      <dl className="kpis">
        {kpis.map((k) => (
          <div className="kpi" key={k.id} data-testid={`rev-${k.id}`}>
            <dt>{k.label}</dt>
            <dd data-testid={`rev-${k.id}-value`}>{k.value}</dd>
          </div>
        ))}
      </dl>
      <details className="choices" data-testid="rev-choices">
        <summary>Metric choices behind these figures</summary>
        <ul>
          {s.choiceNotes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      </details>

      <Suspense
        fallback={
          <Section title={`MRR over time (${mrrInterval})`} id="mrr-series">
            <p className="loading" role="status">
              Loading MRR series…
            </p>
          </Section>
        }
      >
        <MrrSection pool={pool} q={q} interval={mrrInterval} />
      </Suspense>

      <Section title={`MRR movements (${moveInterval})`} id="movements">
        <DataTable
          caption={`Movements in ${period.from} .. ${period.to} (exclusive)`}
          testId="table-movements"
          columns={[
            { key: 'kind', label: 'Movement' },
            // The figure as the catalog, the report and the CLI give it (churn and contraction
            // are amounts lost, positive), then its signed effect: the effects add up to net new MRR.
            { key: 'amount', label: 'MRR', numeric: true },
            { key: 'effect', label: 'Effect on MRR', numeric: true },
            { key: 'customers', label: 'Customers', numeric: true },
          ]}
          rows={movementRows.map((r) => ({
            kind: r.kind,
            amount: money(r.amount),
            effect: money(('sign' in r ? r.sign : 1) * r.amount),
            customers: r.customers ?? '',
          }))}
        />
        {moves.some((m) => m.new || m.reactivation || m.expansion || m.contraction || m.churn) ? (
          <>
            <Chart
              kind="stacked"
              data={moves.map((m) => ({
                start: label(m.start),
                new: m.new,
                reactivation: m.reactivation,
                expansion: m.expansion,
                contraction: -m.contraction,
                churn: -m.churn,
              }))}
              xKey="start"
              xLabel={`${moveInterval[0]!.toUpperCase()}${moveInterval.slice(1)} starting (UTC)`}
              yLabel={`MRR change (${currency.toUpperCase()})`}
              format={{ kind: 'money', currency }}
              series={[
                { key: 'new', label: 'New', color: '#2563eb' },
                { key: 'reactivation', label: 'Reactivation', color: '#7c3aed' },
                { key: 'expansion', label: 'Expansion', color: '#059669' },
                { key: 'contraction', label: 'Contraction', color: '#f59e0b' },
                { key: 'churn', label: 'Churn', color: '#dc2626' },
              ]}
            />
            <ChartData
              caption="Movements per bucket (contraction and churn negative)"
              testId="table-movements-series"
              columns={[
                { key: 'start', label: 'Bucket start' },
                { key: 'new', label: 'New', numeric: true },
                { key: 'reactivation', label: 'Reactivation', numeric: true },
                { key: 'expansion', label: 'Expansion', numeric: true },
                { key: 'contraction', label: 'Contraction', numeric: true },
                { key: 'churn', label: 'Churn', numeric: true },
                { key: 'net', label: 'Net', numeric: true },
              ]}
              rows={moves.map((m) => ({
                start: label(m.start),
                new: money(m.new),
                reactivation: money(m.reactivation),
                expansion: money(m.expansion),
                contraction: money(-m.contraction),
                churn: money(-m.churn),
                net: money(m.net),
              }))}
            />
          </>
        ) : (
          <Empty>No MRR movement in this period.</Empty>
        )}
      </Section>

      <div className="grid2">
        <Section title="Top customers by MRR" id="top-customers">
          {top.length ? (
            <DataTable
              caption={`As of ${period.to}`}
              testId="table-top-customers"
              columns={[
                { key: 'customer', label: 'Customer' },
                { key: 'mrr', label: 'MRR', numeric: true },
                { key: 'since', label: 'Paying since' },
              ]}
              rows={top.map((c) => ({
                customer: c.name ?? c.email ?? c.customerId,
                mrr: money(c.mrr),
                since: c.payingSince?.slice(0, 10) ?? '—',
              }))}
            />
          ) : (
            <Empty>No paying customers.</Empty>
          )}
        </Section>
        <Section title="Recent payments" id="payments">
          {payments.length ? (
            <DataTable
              caption={`Latest payments before ${period.to}`}
              testId="table-payments"
              columns={[
                { key: 'id', label: 'Payment' },
                { key: 'amount', label: 'Amount', numeric: true },
                { key: 'status', label: 'Status' },
                { key: 'at', label: 'At (UTC)' },
              ]}
              rows={payments.map((p) => ({
                id: p.id,
                amount: formatMoney(p.amount, p.currency),
                status: p.failureMessage ? `${p.status}: ${p.failureMessage}` : p.status,
                at: formatDateTime(p.at),
              }))}
            />
          ) : (
            <Empty>No payments.</Empty>
          )}
        </Section>
        <Section title="Recent refunds" id="refunds">
          {refunds.length ? (
            <DataTable
              caption={`Latest refunds before ${period.to}`}
              testId="table-refunds"
              columns={[
                { key: 'id', label: 'Refund' },
                { key: 'amount', label: 'Amount', numeric: true },
                { key: 'reason', label: 'Reason' },
                { key: 'at', label: 'At (UTC)' },
              ]}
              rows={refunds.map((r) => ({
                id: r.id,
                amount: formatMoney(r.amount, r.currency),
                reason: r.reason ?? '—',
                at: formatDateTime(r.createdAt),
              }))}
            />
          ) : (
            <Empty>No refunds.</Empty>
          )}
        </Section>
      </div>
    </>
  );
}

async function MrrSection({
  pool,
  q,
  interval,
}: {
  pool: Pool;
  q: { from: Date; to: Date; currency: string };
  interval: SeriesInterval;
}) {
  const mrr = await mrrSeries(pool, { ...q, interval });
  const mrrInterval = interval;
  const currency = q.currency;
  const label = (iso: string) => iso.slice(0, 10);
  return (
    <Section title={`MRR over time (${mrrInterval})`} id="mrr-series">
      {mrr.some((p) => p.mrr > 0) ? (
        <>
          <Chart
            kind="area"
            data={mrr.map((p) => ({ at: label(new Date(Date.parse(p.at) - 1).toISOString()), mrr: p.mrr }))}
            xKey="at"
            xLabel={mrrInterval === 'day' ? 'Day (UTC)' : 'Week ending (UTC)'}
            yLabel={`MRR (${currency.toUpperCase()})`}
            format={{ kind: 'money', currency }}
            series={[{ key: 'mrr', label: 'MRR', color: '#2563eb' }]}
          />
          <ChartData
            caption="MRR at the end of each bucket"
            testId="table-mrr"
            columns={[
              { key: 'at', label: 'As of' },
              { key: 'mrr', label: 'MRR', numeric: true },
              { key: 'paying', label: 'Paying customers', numeric: true },
            ]}
            rows={mrr.map((p) => ({
              at: formatDateTime(p.at),
              mrr: formatMoney(p.mrr, q.currency),
              paying: p.payingCustomers,
            }))}
          />
        </>
      ) : (
        <Empty>No MRR in this period.</Empty>
      )}
    </Section>
  );
}
