import { withTransaction } from '@org/db';
import type pg from 'pg';
import { err, isLedgerError, type LedgerError, ledgerError, ok, type Result } from '../errors.ts';
import { deduct, findWallet, type Queryable } from '../wallets/store.ts';
import type { Notifier } from './slack.ts';
import type { UsageRecordInput, UsageSource } from './source.ts';

export type UsageDeduction = 'applied' | 'rejected' | 'no_wallet' | 'free';

/**
 * Records one usage record and deducts its cost from the owner's wallet, in one transaction;
 * idempotent on (provider, record id): a second call changes nothing and returns `inserted: false`.
 * The deduction's idempotency key is `usage:<provider>:<record id>`.
 */
export async function recordUsage(
  pool: pg.Pool,
  provider: string,
  record: UsageRecordInput,
  source: 'webhook' | 'reconciled',
): Promise<{ inserted: boolean; deduction: UsageDeduction | null }> {
  // Durable commit: the record and its deduction acknowledge the usage to the provider's caller.
  return withTransaction(pool, (client) => recordUsageOn(client, provider, record, source));
}

async function recordUsageOn(
  client: Queryable,
  provider: string,
  record: UsageRecordInput,
  source: 'webhook' | 'reconciled',
) {
  // Serialise concurrent deliveries of the same record (webhook and reconciliation at once).
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 23))', [`${provider}:${record.id}`]);
  const { rowCount } = await client.query(
    'select 1 from public.usage_records where provider = $1 and external_id = $2',
    [provider, record.id],
  );
  if (rowCount) return { inserted: false, deduction: null };
  const wallet = await findWallet(client, record.ownerId, record.currency);
  let status: UsageDeduction = 'free';
  let transactionId: number | null = null;
  if (record.cost > 0 && !wallet) status = 'no_wallet';
  else if (record.cost > 0 && wallet) {
    const d = await deduct(client, {
      walletId: wallet.id,
      amount: record.cost,
      idempotencyKey: `usage:${provider}:${record.id}`,
      reason: `${provider} usage`,
      metadata: { provider, record: record.id, source },
    });
    if (d.ok) {
      status = 'applied';
      transactionId = d.value.transactionId;
    } else if (d.error.code === 'debt_limit_exceeded') status = 'rejected';
    else throw new Error(`usage ${provider}:${record.id}: ${d.error.message}`);
  }
  await client.query(
    `insert into public.usage_records (provider, external_id, owner_id, currency, cost, quantity, occurred_at, source, wallet_id, wallet_transaction_id, deduction_status, metadata)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      provider,
      record.id,
      record.ownerId,
      record.currency,
      record.cost,
      record.quantity ?? null,
      record.occurredAt,
      source,
      wallet?.id ?? null,
      transactionId,
      status,
      JSON.stringify(record.metadata ?? {}),
    ],
  );
  return { inserted: true, deduction: status };
}

export interface ReconciliationRun {
  runId: number;
  provider: string;
  start: Date;
  end: Date;
  providerRecords: number;
  recordedByWebhook: number;
  alreadyReconciled: number;
  reconciled: number;
  /** recordedByWebhook / providerRecords; null when the provider reported nothing. */
  reliability: number | null;
  alerted: boolean;
  alertError: string | null;
}

export interface ReconcileOptions {
  /** The UTC day to reconcile: [date 00:00, next day 00:00). */
  date: string;
  notifier?: Notifier | null;
  /** Alert below this reliability (default 0.95). */
  threshold?: number;
}

/** The day's half-open range for a YYYY-MM-DD date. */
export function dayRange(date: string): { start: Date; end: Date } | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const start = new Date(`${date}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== date) return null;
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/**
 * The daily usage reconciliation: lists the provider's records for the day, inserts the ones the
 * webhooks missed (marked `reconciled`) and deducts their cost idempotently, records the run with
 * the webhook reliability, and posts a Slack alert when reliability is below the threshold.
 */
export async function reconcileUsage(
  pool: pg.Pool,
  source: UsageSource,
  options: ReconcileOptions,
): Promise<Result<ReconciliationRun, LedgerError<'invalid_input' | 'usage_source_error'>>> {
  const range = dayRange(options.date);
  if (!range)
    return err(ledgerError('invalid_input', `date must be a calendar day YYYY-MM-DD, got "${options.date}"`));
  const { rows } = await pool.query<{ id: string }>(
    'insert into public.usage_reconciliation_runs (provider, range_start, range_end) values ($1, $2, $3) returning id',
    [source.provider, range.start, range.end],
  );
  const runId = Number(rows[0]!.id);
  const counts = { providerRecords: 0, recordedByWebhook: 0, alreadyReconciled: 0, reconciled: 0 };
  let cursor: string | null = null;
  const seen = new Set<string>();
  for (;;) {
    const page = await source.list(range, cursor);
    if (!page.ok) {
      await pool.query(
        `update public.usage_reconciliation_runs set status = 'failed', error = $2, finished_at = now() where id = $1`,
        [runId, page.error.message],
      );
      const e = page.error;
      return err(
        isLedgerError(e) && e.code === 'usage_source_error'
          ? (e as LedgerError<'usage_source_error'>)
          : ledgerError('usage_source_error', e.message),
      );
    }
    for (const record of page.value.records) {
      if (seen.has(record.id) || record.occurredAt < range.start || record.occurredAt >= range.end) continue;
      seen.add(record.id);
      counts.providerRecords++;
      const existing = await pool.query<{ source: string }>(
        'select source from public.usage_records where provider = $1 and external_id = $2',
        [source.provider, record.id],
      );
      const known = existing.rows[0]?.source;
      if (known === 'webhook') counts.recordedByWebhook++;
      else if (known === 'reconciled') counts.alreadyReconciled++;
      else {
        const r = await recordUsage(pool, source.provider, record, 'reconciled');
        if (r.inserted) counts.reconciled++;
        else counts.recordedByWebhook++; // a webhook landed between the check and the insert
      }
    }
    cursor = page.value.nextCursor;
    if (!cursor) break;
  }
  const reliability = counts.providerRecords === 0 ? null : counts.recordedByWebhook / counts.providerRecords;
  const threshold = options.threshold ?? 0.95;
  let alerted = false;
  let alertError: string | null = null;
  if (reliability !== null && reliability < threshold && options.notifier) {
    const pct = (reliability * 100).toFixed(1);
    const sent = await options.notifier.notify(
      `:warning: Usage webhooks from ${source.provider} were ${pct}% reliable on ${options.date} (threshold ${(threshold * 100).toFixed(0)}%): ` +
        `${counts.recordedByWebhook} of ${counts.providerRecords} records arrived by webhook; ${counts.reconciled} were recovered by reconciliation.`,
    );
    alerted = sent.ok;
    alertError = sent.ok ? null : sent.error;
  }
  await pool.query(
    `update public.usage_reconciliation_runs set status = 'succeeded', provider_records = $2, recorded_by_webhook = $3, already_reconciled = $4,
       reconciled = $5, reliability = $6, alerted = $7, error = $8, finished_at = now() where id = $1`,
    [
      runId,
      counts.providerRecords,
      counts.recordedByWebhook,
      counts.alreadyReconciled,
      counts.reconciled,
      reliability,
      alerted,
      alertError,
    ],
  );
  return ok({ runId, provider: source.provider, ...range, ...counts, reliability, alerted, alertError });
}
