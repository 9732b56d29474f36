import type { Queryable } from './apply.ts';

export interface ReconciliationRunSummary {
  id: number;
  provider: string;
  rangeStart: Date;
  rangeEnd: Date;
  status: 'running' | 'succeeded' | 'failed';
  providerRecords: number;
  recordedByWebhook: number;
  reconciled: number;
  /** recorded-by-webhook / provider records; null when the provider had none. */
  reliability: number | null;
  alerted: boolean;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** Latest usage reconciliation runs, newest first. */
export async function listReconciliationRuns(
  db: Queryable,
  options: { limit?: number } = {},
): Promise<ReconciliationRunSummary[]> {
  const { rows } = await db.query(
    `select id, provider, range_start as "rangeStart", range_end as "rangeEnd", status,
            provider_records as "providerRecords", recorded_by_webhook as "recordedByWebhook", reconciled,
            reliability::float8 as reliability, alerted, error, started_at as "startedAt", finished_at as "finishedAt"
       from public.usage_reconciliation_runs
      order by started_at desc, id desc
      limit $1`,
    [options.limit ?? 20],
  );
  return rows as ReconciliationRunSummary[];
}

export interface AuditRun {
  id: number;
  month: string;
  verdict: 'PASS' | 'WARN' | 'FAIL';
  high: number;
  medium: number;
  low: number;
  ranAt: Date;
}

/** Latest recorded revenue audits, newest first (the full report stays in the table). */
export async function listAuditRuns(db: Queryable, options: { limit?: number } = {}): Promise<AuditRun[]> {
  const { rows } = await db.query(
    `select id, month, verdict, high, medium, low, ran_at as "ranAt"
       from public.revenue_audit_runs
      order by ran_at desc, id desc
      limit $1`,
    [options.limit ?? 20],
  );
  return rows as AuditRun[];
}
