import 'server-only';
import { readAdminEnv } from '../env.ts';
import { requireAdmin } from './auth/server.ts';
import { pool } from './db.ts';
import { type Period, parsePeriod, type SearchParams } from './period.ts';

/** What every dashboard page starts with: the admin check, the period from the URL, the pool. */
export async function pageContext(searchParams: Promise<SearchParams>): Promise<{
  period: Period;
  sp: SearchParams;
  currency: string;
  app: string;
  pool: Awaited<ReturnType<typeof pool>>;
}> {
  await requireAdmin();
  const sp = await searchParams;
  // The clock is read here, at the edge; every query below takes the period explicitly.
  const period = parsePeriod(sp, new Date());
  const env = readAdminEnv();
  return { period, sp, currency: env.REPORTING_CURRENCY, app: env.METRICS_APP, pool: await pool() };
}
