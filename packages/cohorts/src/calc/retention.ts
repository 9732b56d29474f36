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
  users: number;
  /** users / cohort size, 4 decimals; null for an empty cohort. */
  rate: number | null;
}

export interface RetentionCohort {
  cohortStart: string;
  size: number;
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
 * `sizes`: cohort start -> size; `counts`: retained users per (cohort, period); `periodsOf`:
 * how many periods each cohort has reached as of the computation (cells beyond are omitted).
 */
export function buildRetentionMatrix(input: {
  granularity: Granularity;
  mode: RetentionMode;
  sizes: ReadonlyMap<string, number>;
  counts: readonly CohortCount[];
  periodsOf: (cohortStart: string) => number;
}): RetentionMatrix {
  const byKey = new Map(input.counts.map((c) => [`${c.cohortStart}|${c.period}`, c.retained]));
  const cohorts: RetentionCohort[] = [...input.sizes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cohortStart, size]) => {
      const n = input.periodsOf(cohortStart);
      const periods: RetentionCell[] = [];
      for (let k = 0; k < n; k++) {
        const users = byKey.get(`${cohortStart}|${k}`) ?? 0;
        periods.push({ period: k, users, rate: size === 0 ? null : round4(users / size) });
      }
      return { cohortStart, size, periods };
    });
  const maxPeriods = Math.max(0, ...cohorts.map((c) => c.periods.length));
  const summary: RetentionCell[] = [];
  for (let k = 0; k < maxPeriods; k++) {
    let users = 0;
    let size = 0;
    for (const c of cohorts) {
      const cell = c.periods[k];
      if (!cell) continue;
      users += cell.users;
      size += c.size;
    }
    summary.push({ period: k, users, rate: size === 0 ? null : round4(users / size) });
  }
  return { granularity: input.granularity, mode: input.mode, cohorts, summary };
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
