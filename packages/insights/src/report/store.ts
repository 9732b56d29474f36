import type { Pool } from '@org/db';
import { type GrowthReport, growthReportSchema, REPORT_VERSION } from './model.ts';

export type ReportOrigin = 'cli' | 'dashboard' | 'demo';

export interface StoredReportSummary {
  id: number;
  asOf: string;
  periodDays: number;
  app: string | null;
  currency: string;
  title: string;
  headline: string;
  narrativeSource: 'llm' | 'rules';
  generatedAt: string;
  generatedBy: ReportOrigin;
}

export interface StoredGrowthReport extends StoredReportSummary {
  report: GrowthReport;
}

const SUMMARY = `id::int as id, as_of, period_days, app, currency, title, headline, narrative_source, generated_at, generated_by`;

interface SummaryRow {
  id: number;
  as_of: Date;
  period_days: number;
  app: string | null;
  currency: string;
  title: string;
  headline: string;
  narrative_source: 'llm' | 'rules';
  generated_at: Date;
  generated_by: ReportOrigin;
}

const summary = (r: SummaryRow): StoredReportSummary => ({
  id: r.id,
  asOf: r.as_of.toISOString(),
  periodDays: r.period_days,
  app: r.app,
  currency: r.currency,
  title: r.title,
  headline: r.headline,
  narrativeSource: r.narrative_source,
  generatedAt: r.generated_at.toISOString(),
  generatedBy: r.generated_by,
});

/** Stores a generated report; returns its id. */
export async function storeGrowthReport(
  pool: Pool,
  report: GrowthReport,
  options: { app?: string | undefined; generatedBy: ReportOrigin },
): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `insert into public.insights_growth_reports
       (as_of, period_days, app, currency, title, headline, narrative_source, generated_by, report)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id::int as id`,
    [
      report.asOf,
      report.periodDays,
      options.app ?? null,
      report.currency,
      report.title,
      report.insights.narrative.headline,
      report.insights.source,
      options.generatedBy,
      JSON.stringify(report),
    ],
  );
  return rows[0]!.id;
}

/** The most recently generated reports, newest first (without their bodies). */
export async function latestGrowthReports(
  pool: Pool,
  options: { limit?: number } = {},
): Promise<StoredReportSummary[]> {
  const { rows } = await pool.query<SummaryRow>(
    `select ${SUMMARY} from public.insights_growth_reports order by generated_at desc, id desc limit $1`,
    [options.limit ?? 10],
  );
  return rows.map(summary);
}

/**
 * The latest stored report for a period (its end and length, all apps unless `app`, in
 * `currency`), or null. The stored body is checked against the report schema of this version.
 */
export async function findGrowthReport(
  pool: Pool,
  period: { asOf: Date; days: number; currency: string; app?: string | undefined },
): Promise<StoredGrowthReport | null> {
  const { rows } = await pool.query<SummaryRow & { report: unknown }>(
    `select ${SUMMARY}, report from public.insights_growth_reports
     where as_of = $1 and period_days = $2 and currency = $3 and app is not distinct from $4
       and report->>'version' = $5
     order by generated_at desc, id desc limit 1`,
    [period.asOf, period.days, period.currency, period.app ?? null, String(REPORT_VERSION)],
  );
  const row = rows[0];
  if (!row) return null;
  return { ...summary(row), report: growthReportSchema.parse(row.report) };
}
