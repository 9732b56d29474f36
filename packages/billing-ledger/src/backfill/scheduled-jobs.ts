import type pg from 'pg';
import type { AuditReport } from '../audit/collect.ts';
import { runRevenueAudit } from '../audit/collect.ts';
import type { LedgerQueue, RetryPolicy } from '../queue.ts';
import type { StripeApi } from '../stripe-api/client.ts';
import { reconcileUsage } from '../usage/reconcile.ts';
import type { Notifier } from '../usage/slack.ts';
import type { UsageSource } from '../usage/source.ts';
import { recoverMissedEvents } from './recover-events.ts';

/**
 * The billing ledger's scheduled jobs on pg-boss cron: the daily usage reconciliation (yesterday,
 * UTC), the missed-webhook recovery (Stripe events of the last 30 days), and the revenue audit of
 * the current month. Schedules are cron strings (UTC); null or 'off' removes a schedule. The
 * process that starts the queue with `schedule: true` runs pg-boss's cron clock; any worker
 * process can run the jobs.
 */
export const billingJobs = {
  reconcileUsage: 'billing-reconcile-usage',
  recoverWebhooks: 'billing-recover-webhooks',
  revenueAudit: 'billing-revenue-audit',
} as const;
export type BillingJob = keyof typeof billingJobs;

/** The policy of the scheduled jobs' queues. */
export const BILLING_JOB_POLICY: RetryPolicy = {
  retryLimit: 2,
  retryDelaySeconds: 60,
  retryBackoff: true,
  expireInSeconds: 3600,
};

export interface BillingSchedules {
  reconcileUsage?: string | null;
  recoverWebhooks?: string | null;
  revenueAudit?: string | null;
}

export const defaultBillingSchedules: Required<BillingSchedules> = {
  reconcileUsage: '30 2 * * *',
  recoverWebhooks: '17 * * * *',
  revenueAudit: '0 6 * * *',
};

const CRON = /^(\S+\s+){4}\S+$/;

/** Creates the job queues and (un)schedules each job. Returns the schedules in effect. */
export async function scheduleBillingJobs(
  queue: LedgerQueue,
  schedules: BillingSchedules = {},
): Promise<Record<BillingJob, string | null>> {
  const effective = {} as Record<BillingJob, string | null>;
  for (const job of Object.keys(billingJobs) as BillingJob[]) {
    const name = billingJobs[job];
    const cron = job in schedules ? schedules[job] : defaultBillingSchedules[job];
    await queue.ensureQueue(name, BILLING_JOB_POLICY);
    if (!cron || cron === 'off') {
      await queue.boss.unschedule(name);
      effective[job] = null;
      continue;
    }
    if (!CRON.test(cron.trim()))
      throw new Error(`schedule for ${job} is not a 5-field cron expression: "${cron}"`);
    await queue.boss.schedule(name, cron.trim(), {}, { tz: 'UTC' });
    effective[job] = cron.trim();
  }
  return effective;
}

export interface BillingJobDeps {
  pool: pg.Pool;
  /** Needed by recovery and audit; those jobs fail clearly without it. */
  stripe?: StripeApi | null;
  usageSource?: UsageSource | null;
  notifier?: Notifier | null;
  reliabilityThreshold?: number;
  /** The jobs' notion of now (the job's run time). */
  now?: () => Date;
  onResult?: (job: BillingJob, result: unknown) => void;
}

/** Records an audit report (the dashboard reads `revenue_audit_runs`). */
export async function recordAuditRun(db: Pick<pg.Pool, 'query'>, report: AuditReport): Promise<void> {
  await db.query(
    'insert into public.revenue_audit_runs (month, verdict, high, medium, low, report) values ($1, $2, $3, $4, $5, $6)',
    [
      report.month,
      report.verdict,
      report.counts.HIGH,
      report.counts.MEDIUM,
      report.counts.LOW,
      JSON.stringify(report),
    ],
  );
}

/** Runs one billing job now (what the cron worker does); `data` may pin `date` / `month`. */
export async function runBillingJob(
  job: BillingJob,
  deps: BillingJobDeps,
  data: { date?: string; month?: string } = {},
): Promise<unknown> {
  const now = deps.now?.() ?? new Date();
  switch (job) {
    case 'reconcileUsage': {
      if (!deps.usageSource)
        throw new Error('usage reconciliation needs a usage source (USAGE_PROVIDER_URL)');
      const date = data.date ?? new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
      const r = await reconcileUsage(deps.pool, deps.usageSource, {
        date,
        notifier: deps.notifier ?? null,
        ...(deps.reliabilityThreshold !== undefined ? { threshold: deps.reliabilityThreshold } : {}),
      });
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    }
    case 'recoverWebhooks': {
      if (!deps.stripe) throw new Error('webhook recovery needs STRIPE_SECRET_KEY');
      const r = await recoverMissedEvents(deps.pool, deps.stripe, { asOf: now });
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    }
    case 'revenueAudit': {
      if (!deps.stripe) throw new Error('the revenue audit needs STRIPE_SECRET_KEY');
      const month = data.month ?? now.toISOString().slice(0, 7);
      const r = await runRevenueAudit(deps.pool, deps.stripe, { month, asOf: now });
      if (!r.ok) throw new Error(r.error.message);
      await recordAuditRun(deps.pool, r.value);
      if (r.value.verdict !== 'PASS' && deps.notifier) {
        await deps.notifier.notify(
          `Revenue audit ${month}: ${r.value.verdict} (${r.value.counts.HIGH} HIGH, ${r.value.counts.MEDIUM} MEDIUM). Run \`org-reports audit --month ${month}\` for the findings.`,
        );
      }
      return r.value;
    }
  }
}

/** Works the three job queues in this process. */
export async function startBillingJobWorkers(
  queue: LedgerQueue,
  deps: BillingJobDeps,
  options: { pollingIntervalSeconds?: number } = {},
): Promise<{ stop(): Promise<void> }> {
  const names: string[] = [];
  for (const job of Object.keys(billingJobs) as BillingJob[]) {
    const name = billingJobs[job];
    await queue.ensureQueue(name, BILLING_JOB_POLICY);
    await queue.boss.work<{ date?: string; month?: string }>(
      name,
      { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 10, batchSize: 1 },
      async ([j]) => {
        const result = await runBillingJob(job, deps, j?.data ?? {});
        deps.onResult?.(job, result);
      },
    );
    names.push(name);
  }
  return {
    async stop() {
      for (const name of names) await queue.boss.offWork(name);
    },
  };
}
