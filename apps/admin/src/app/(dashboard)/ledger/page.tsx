import {
  type InboxStatus,
  inboxStats,
  inboxStatuses,
  listAuditRuns,
  listEvents,
  listReconciliationRuns,
  listWallets,
} from '@org/billing-ledger';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { formatCount, formatDateTime, formatMoney } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import { param, periodQuery, type SearchParams } from '../../../lib/period.ts';
import { replayAction } from './actions.ts';

export const dynamic = 'force-dynamic';

const TYPE = /^[a-z_.*]{1,100}$/;

export default async function LedgerPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, sp, pool } = await pageContext(searchParams);
  const statusParam = param(sp, 'status');
  const status = inboxStatuses.includes(statusParam as InboxStatus)
    ? (statusParam as InboxStatus)
    : undefined;
  const typeParam = param(sp, 'type');
  const type = typeParam && TYPE.test(typeParam) ? typeParam : undefined;
  // The inbox is operational state: counts are as of now, not of the period end.
  const [stats, events, dead, wallets, reconciliations, audits] = await Promise.all([
    inboxStats(pool, { asOf: new Date() }),
    listEvents(pool, { ...(status ? { status } : {}), ...(type ? { type } : {}), limit: 50 }),
    listEvents(pool, { status: 'dead', limit: 100 }),
    listWallets(pool, { limit: 50 }),
    listReconciliationRuns(pool, { limit: 20 }),
    listAuditRuns(pool, { limit: 20 }),
  ]);
  const replayed = param(sp, 'replayed');
  const error = param(sp, 'error');
  const back = `/ledger?${periodQuery(period, { status, type })}`;
  const byStatus = inboxStatuses.map((s) => ({ status: s, events: stats[s] }));

  return (
    <>
      <h1>Ledger health</h1>
      <p className="page-note" data-testid="ledger-as-of">
        The Stripe event inbox and the jobs around it as they are now (not limited to a period).
      </p>
      {replayed ? (
        <p role="status" data-testid="replayed">
          Event {replayed} was put back on the queue.
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          Replay failed: {error}
        </p>
      ) : null}

      <Section title="Webhook inbox by status" id="inbox-status">
        <dl className="kpis">
          {byStatus.map((s) => (
            <div className="kpi" key={s.status} data-testid={`inbox-${s.status}`}>
              <dt>{s.status}</dt>
              <dd data-testid={`inbox-${s.status}-value`}>{formatCount(s.events)}</dd>
            </div>
          ))}
          <div className="kpi" data-testid="inbox-processing">
            <dt>processing now</dt>
            <dd>{formatCount(stats.processing)}</dd>
          </div>
          <div className="kpi">
            <dt>oldest pending</dt>
            <dd>{stats.oldestPendingAgeSeconds === null ? '—' : `${stats.oldestPendingAgeSeconds} s`}</dd>
          </div>
        </dl>
        {stats.total ? (
          <>
            <Chart
              kind="bar"
              data={byStatus}
              xKey="status"
              xLabel="Status"
              yLabel="Events"
              format={{ kind: 'count' }}
              series={[{ key: 'events', label: 'Events', color: '#2563eb' }]}
              height={200}
            />
            <ChartData
              caption="Inbox events by status"
              columns={[
                { key: 'status', label: 'Status' },
                { key: 'events', label: 'Events', numeric: true },
              ]}
              rows={byStatus}
            />
          </>
        ) : (
          <Empty>The inbox is empty: no Stripe event received yet.</Empty>
        )}
      </Section>

      <Section title="Dead events" id="dead-events">
        {dead.length ? (
          <DataTable
            caption="Events that failed their last attempt; replay puts them back on the queue"
            testId="table-dead"
            columns={[
              { key: 'id', label: 'Event' },
              { key: 'type', label: 'Type' },
              { key: 'attempts', label: 'Attempts', numeric: true },
              { key: 'error', label: 'Last error' },
              { key: 'received', label: 'Received (UTC)' },
              { key: 'action', label: 'Action' },
            ]}
            rows={dead.map((e) => ({
              id: e.id,
              type: e.type,
              attempts: e.attempts,
              error: e.lastError ?? '—',
              received: formatDateTime(e.receivedAt),
              action: (
                <form action={replayAction}>
                  <input type="hidden" name="id" value={e.id} />
                  <input type="hidden" name="back" value={back} />
                  <button type="submit" data-testid={`replay-${e.id}`}>
                    Replay
                  </button>
                </form>
              ),
            }))}
          />
        ) : (
          <Empty>No dead events.</Empty>
        )}
      </Section>

      <Section title="Inbox events" id="inbox-events">
        <form method="get" action="/ledger" className="filters">
          {period.preset ? (
            <input type="hidden" name="days" value={period.preset} />
          ) : (
            <input type="hidden" name="from" value={period.from} />
          )}
          <input type="hidden" name="to" value={period.to} />
          <label>
            Status{' '}
            <select name="status" defaultValue={status ?? ''}>
              <option value="">any</option>
              {inboxStatuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Type <input name="type" defaultValue={type ?? ''} placeholder="invoice.paid" />
          </label>
          <button type="submit">Filter</button>
        </form>
        {events.length ? (
          <DataTable
            caption={`Latest ${events.length} events${status ? ` with status ${status}` : ''}${type ? ` of type ${type}` : ''}`}
            testId="table-inbox"
            columns={[
              { key: 'id', label: 'Event' },
              { key: 'type', label: 'Type' },
              { key: 'status', label: 'Status' },
              { key: 'attempts', label: 'Attempts', numeric: true },
              { key: 'created', label: 'Created at Stripe (UTC)' },
              { key: 'processed', label: 'Processed (UTC)' },
            ]}
            rows={events.map((e) => ({
              id: e.id,
              type: e.type,
              status: e.status,
              attempts: e.attempts,
              created: formatDateTime(e.createdAt),
              processed: formatDateTime(e.processedAt),
            }))}
          />
        ) : (
          <Empty>No events match these filters.</Empty>
        )}
      </Section>

      <Section title="Wallets" id="wallets">
        {wallets.length ? (
          <DataTable
            caption={`${wallets.length} wallets, most indebted first`}
            testId="table-wallets"
            columns={[
              { key: 'owner', label: 'Owner' },
              { key: 'balance', label: 'Balance', numeric: true },
              { key: 'debt', label: 'Debt used / limit', numeric: true },
              { key: 'recharge', label: 'Needs recharge' },
            ]}
            rows={wallets.map((w) => ({
              owner: w.ownerId,
              balance: formatMoney(w.balance, w.currency),
              debt: `${formatMoney(w.debtUsed, w.currency)} / ${formatMoney(w.debtLimit, w.currency)}`,
              recharge: w.needsRecharge ? 'yes' : 'no',
            }))}
          />
        ) : (
          <Empty>No prepaid wallets yet.</Empty>
        )}
      </Section>
      <Section title="Usage reconciliation" id="reconciliation">
        {reconciliations.length ? (
          <DataTable
            caption="Latest usage reconciliation runs"
            testId="table-reconciliation"
            columns={[
              { key: 'day', label: 'Day (UTC)' },
              { key: 'provider', label: 'Provider' },
              { key: 'status', label: 'Status' },
              { key: 'records', label: 'Provider records', numeric: true },
              { key: 'reconciled', label: 'Reconciled', numeric: true },
              { key: 'reliability', label: 'Webhook reliability', numeric: true },
            ]}
            rows={reconciliations.map((r) => ({
              day: r.rangeStart.toISOString().slice(0, 10),
              provider: r.provider,
              status: r.error ? `${r.status}: ${r.error}` : r.status,
              records: r.providerRecords,
              reconciled: r.reconciled,
              reliability: r.reliability === null ? '–' : `${(r.reliability * 100).toFixed(1)}%`,
            }))}
          />
        ) : (
          <Empty>No reconciliation has run yet (org-reports reconcile usage, or the daily job).</Empty>
        )}
      </Section>
      <Section title="Revenue audits" id="audits">
        {audits.length ? (
          <DataTable
            caption="Latest recorded revenue audits"
            testId="table-audits"
            columns={[
              { key: 'month', label: 'Month' },
              { key: 'verdict', label: 'Verdict' },
              { key: 'findings', label: 'HIGH / MEDIUM / LOW' },
              { key: 'ran', label: 'Ran (UTC)' },
            ]}
            rows={audits.map((a) => ({
              month: a.month,
              verdict: a.verdict,
              findings: `${a.high} / ${a.medium} / ${a.low}`,
              ran: formatDateTime(a.ranAt),
            }))}
          />
        ) : (
          <Empty>No audit has been recorded yet (the scheduled audit job records each run).</Empty>
        )}
      </Section>
    </>
  );
}
