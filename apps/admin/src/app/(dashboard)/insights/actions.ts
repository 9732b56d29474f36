'use server';

import { defaultFunnel, generateGrowthReport, storeGrowthReport } from '@org/insights';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { readAdminEnv } from '../../../env.ts';
import { requireAdmin } from '../../../lib/auth/server.ts';
import { pool } from '../../../lib/db.ts';
import { parsePeriod, periodQuery } from '../../../lib/period.ts';

/**
 * Builds the growth report of the posted period (`org-reports growth --no-llm`, rules narrative)
 * and stores it, then shows it. Admin only; Next checks the Origin of actions.
 */
export async function generateReportAction(form: FormData): Promise<void> {
  await requireAdmin();
  const field = (k: string) => {
    const v = form.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const now = new Date();
  const period = parsePeriod({ days: field('days'), from: field('from'), to: field('to') }, now);
  const env = readAdminEnv();
  const db = await pool();
  const report = await generateGrowthReport(db, {
    asOf: period.toDate,
    days: period.days,
    // Major units of the reporting currency; unset: no goal.
    mrrGoal: env.MRR_GOAL,
    // A period that is not over (the default ends tomorrow) raises no findings from partial figures.
    now,
    collect: { currency: env.REPORTING_CURRENCY, funnel: defaultFunnel },
    narrative: { enabled: false },
  });
  const id = await storeGrowthReport(db, report, { generatedBy: 'dashboard' });
  revalidatePath('/insights');
  redirect(`/insights?${periodQuery(period, { generated: String(id) })}`);
}
