import { PeriodSelector } from '../../../components/period-selector.tsx';
import { requireAdmin } from '../../../lib/auth/server.ts';
import { parsePeriod, type SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

export default async function EngagementPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireAdmin();
  const period = parsePeriod(await searchParams, new Date());
  return (
    <>
      <h1>Engagement</h1>
      <PeriodSelector period={period} path="/engagement" />
    </>
  );
}
