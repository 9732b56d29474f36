/** Pure assembly of retention matrices from aggregated counts (no I/O, no clock). */

export type Granularity = 'day' | 'week' | 'month';
export type RetentionMode = 'on' | 'on_or_after';

export interface CohortCount {
  cohortStart: string;
  period: number;
  retained: number;
}

export interface RetentionCell {
  period: number;
  /** Users of the cohort active in the period; null for a period the cohort has not reached yet. */
  users: number | null;
  /** users / cohort size, 4 decimals; null for an empty cohort or a period not reached yet. */
  rate: number | null;
}

export interface RetentionCohort {
  cohortStart: string;
  size: number;
  /** One cell per period of the matrix (the same count for every cohort), unreached ones null. */
  periods: RetentionCell[];
}

export interface RetentionMatrix {
  granularity: Granularity;
  mode: RetentionMode;
  cohorts: RetentionCohort[];
  /** Per period: the cohort-size-weighted mean over the cohorts that reached the period. */
  summary: RetentionCell[];
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The summary row of a retention matrix (METRICS.md): per period k, the retained users of the
 * cohorts that have reached k over the sum of their sizes, i.e. the cohort-size-weighted mean of
 * their rates. Cohorts that have not reached k (a null or missing cell) are left out of both
 * sums; a period no cohort has reached gets null.
 */
export function weightedRetentionSummary(
  cohorts: readonly { size: number; periods: readonly { period: number; users: number | null }[] }[],
): RetentionCell[] {
  const periods = Math.max(0, ...cohorts.flatMap((c) => c.periods.map((p) => p.period + 1)));
  const summary: RetentionCell[] = [];
  for (let k = 0; k < periods; k++) {
    let users = 0;
    let size = 0;
    let reached = false;
    for (const c of cohorts) {
      const cell = c.periods.find((p) => p.period === k);
      if (!cell || cell.users === null) continue;
      reached = true;
      users += cell.users;
      size += c.size;
    }
    summary.push(
      reached
        ? { period: k, users, rate: size === 0 ? null : round4(users / size) }
        : { period: k, users: null, rate: null },
    );
  }
  return summary;
}

/**
 * `sizes`: cohort start -> size; `counts`: retained users per (cohort, period); `periodsOf`:
 * how many periods each cohort has reached as of the computation. Every cohort gets as many cells
 * as the cohort that reached the most; the cells a cohort has not reached are null (not 0: the
 * period has not happened for it yet).
 */
export function buildRetentionMatrix(input: {
  granularity: Granularity;
  mode: RetentionMode;
  sizes: ReadonlyMap<string, number>;
  counts: readonly CohortCount[];
  periodsOf: (cohortStart: string) => number;
}): RetentionMatrix {
  const byKey = new Map(input.counts.map((c) => [`${c.cohortStart}|${c.period}`, c.retained]));
  const starts = [...input.sizes.keys()].sort();
  const reached = new Map(starts.map((cs) => [cs, input.periodsOf(cs)]));
  const width = Math.max(0, ...reached.values());
  const cohorts: RetentionCohort[] = starts.map((cohortStart) => {
    const size = input.sizes.get(cohortStart)!;
    const n = reached.get(cohortStart)!;
    const periods: RetentionCell[] = [];
    for (let k = 0; k < width; k++) {
      if (k >= n) {
        periods.push({ period: k, users: null, rate: null });
        continue;
      }
      const users = byKey.get(`${cohortStart}|${k}`) ?? 0;
      periods.push({ period: k, users, rate: size === 0 ? null : round4(users / size) });
    }
    return { cohortStart, size, periods };
  });
  return {
    granularity: input.granularity,
    mode: input.mode,
    cohorts,
    summary: weightedRetentionSummary(cohorts),
  };
}

export interface RevenueCohortRow {
  currency: string;
  cohortMonth: string;
  monthOffset: number;
  customers: number;
  startMrr: number;
  mrr: number;
  cappedMrr: number;
  churnedCustomers: number;
}

export interface RevenueRetentionCell {
  monthOffset: number;
  mrr: number;
  /** Net revenue retention: mrr / start MRR. */
  nrr: number | null;
  /** Gross revenue retention: each customer's MRR capped at its start value. */
  grr: number | null;
  churnedCustomers: number;
}

export interface RevenueCohort {
  currency: string;
  cohortMonth: string;
  customers: number;
  startMrr: number;
  months: RevenueRetentionCell[];
}

export function buildRevenueCohorts(rows: readonly RevenueCohortRow[]): RevenueCohort[] {
  const cohorts = new Map<string, RevenueCohort>();
  const sorted = [...rows].sort(
    (a, b) =>
      a.currency.localeCompare(b.currency) ||
      a.cohortMonth.localeCompare(b.cohortMonth) ||
      a.monthOffset - b.monthOffset,
  );
  for (const r of sorted) {
    const key = `${r.currency}|${r.cohortMonth}`;
    let c = cohorts.get(key);
    if (!c) {
      c = {
        currency: r.currency,
        cohortMonth: r.cohortMonth,
        customers: r.customers,
        startMrr: r.startMrr,
        months: [],
      };
      cohorts.set(key, c);
    }
    c.months.push({
      monthOffset: r.monthOffset,
      mrr: r.mrr,
      nrr: r.startMrr === 0 ? null : round4(r.mrr / r.startMrr),
      grr: r.startMrr === 0 ? null : round4(r.cappedMrr / r.startMrr),
      churnedCustomers: r.churnedCustomers,
    });
  }
  return [...cohorts.values()];
}
