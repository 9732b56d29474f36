import { readAdminEnv } from '../../../../env.ts';
import { guardRoute } from '../../../../lib/auth/server.ts';
import { cohortSettings, loadCohorts, toCsv } from '../../../../lib/cohorts.ts';
import { pool } from '../../../../lib/db.ts';
import { parsePeriod } from '../../../../lib/period.ts';

export const dynamic = 'force-dynamic';

/** GET /cohorts/export?kind=users|revenue&granularity=&mode=&days=|from=&to= -> CSV (admin only). */
export async function GET(request: Request): Promise<Response> {
  const refused = await guardRoute(request);
  if (refused) return refused;
  const url = new URL(request.url);
  const sp = Object.fromEntries(url.searchParams);
  const period = parsePeriod(sp, new Date());
  const settings = cohortSettings(sp);
  const currency = readAdminEnv().REPORTING_CURRENCY;
  const { users, revenue } = await loadCohorts(await pool(), period, settings, currency);
  const kind = sp.kind === 'revenue' ? 'revenue' : 'users';
  let rows: (string | number | null)[][];
  if (kind === 'users') {
    rows = [['cohort_start', 'granularity', 'mode', 'size', 'period', 'users', 'rate']];
    // Periods a cohort has not reached yet are not rows (their users and rate are null).
    for (const c of users.cohorts)
      for (const p of c.periods)
        if (p.users !== null)
          rows.push([c.cohortStart, users.granularity, users.mode, c.size, p.period, p.users, p.rate]);
  } else {
    rows = [
      [
        'cohort_month',
        'currency',
        'customers',
        'start_mrr_minor',
        'month_offset',
        'mrr_minor',
        'nrr',
        'grr',
        'churned_customers',
      ],
    ];
    for (const c of revenue)
      for (const m of c.months)
        rows.push([
          c.cohortMonth,
          c.currency,
          c.customers,
          c.startMrr,
          m.monthOffset,
          m.mrr,
          m.nrr,
          m.grr,
          m.churnedCustomers,
        ]);
  }
  const name = `cohorts-${kind}-${settings.granularity}-${period.from}-${period.to}.csv`;
  return new Response(toCsv(rows), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
    },
  });
}
