import { type InboxStatus, inboxStats, inboxStatuses, listEvents } from '@org/billing-ledger';
import { Chart } from '../../../components/charts.tsx';
import { ChartData, DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { formatCount, formatDateTime } from '../../../lib/format.ts';
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
  const [stats, events, dead] = await Promise.all([
    inboxStats(pool, { asOf: new Date() }),
    listEvents(pool, { ...(status ? { status } : {}), ...(type ? { type } : {}), limit: 50 }),
    listEvents(pool, { status: 'dead', limit: 100 }),
  ]);
  const replayed = param(sp, 'replayed');
  const error = param(sp, 'error');
  const back = `/ledger?${periodQuery(period, { status, type })}`;
  const byStatus = inboxStatuses.map((s) => ({ status: s, events: stats[s] }));

  return (
    <>
      <h1>Ledger health</h1>
      <PeriodSelector period={period} path="/ledger" extra={{ status, type }} />
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
        <Empty>
          Wallet balances, debt used and needs-recharge are not shown yet: @org/billing-ledger exports no
          wallet listing query.
        </Empty>
      </Section>
      <Section title="Reconciliation and audit" id="reconciliation">
        <Empty>
          Reconciliation runs and audit results are not shown yet: @org/billing-ledger exports no query for
          them.
        </Empty>
      </Section>
    </>
  );
}
