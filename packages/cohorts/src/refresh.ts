import type { Pool } from 'pg';
import type { Granularity, RetentionCohort, RetentionMatrix, RetentionMode } from './calc/retention.ts';
import { revenueRetentionRows } from './store/revenue.ts';
import { recentCohortRange, userRetention } from './store/user-retention.ts';

export interface RefreshOptions {
  asOf: Date;
  /** One app, or all apps together (stored as app `*`). */
  app?: string | undefined;
  /** Recent cohorts recomputed per granularity (older cohorts keep their stored rows). */
  lookback?: Partial<Record<Granularity, number>>;
  /** Revenue cohorts recomputed: the last N first-paid months (default 24). */
  revenueMonths?: number;
}

export interface RefreshResult {
  asOf: string;
  changed: number;
  unchanged: number;
  userCells: number;
  revenueCells: number;
}

const DEFAULT_LOOKBACK: Record<Granularity, number> = { day: 30, week: 12, month: 12 };

/**
 * Recomputes the recent cohorts into `cohort_user_retention` and `cohort_revenue_retention`.
 * Idempotent: a cell is written only when its value changed, so a second run with the same data
 * changes nothing; incremental: only the last `lookback` cohorts per granularity are recomputed.
 */
export async function refreshCohorts(pool: Pool, options: RefreshOptions): Promise<RefreshResult> {
  const app = options.app ?? '*';
  const lookback = { ...DEFAULT_LOOKBACK, ...options.lookback };
  const run = await pool.query<{ id: number }>(
    'insert into public.cohort_refresh_runs (as_of) values ($1) returning id',
    [options.asOf],
  );
  let changed = 0;
  let userCells = 0;

  for (const granularity of ['day', 'week', 'month'] as const) {
    const range = recentCohortRange(granularity, options.asOf, lookback[granularity]);
    for (const mode of ['on', 'on_or_after'] as const) {
      const matrix = await userRetention(pool, {
        granularity,
        mode,
        ...range,
        asOf: options.asOf,
        app: options.app,
        periods: lookback[granularity],
      });
      const cells = flatten(matrix);
      userCells += cells.length;
      changed += await upsertUserCells(pool, app, granularity, mode, cells, options.asOf);
    }
  }

  const months = options.revenueMonths ?? 24;
  const revenue = await revenueRetentionRows(pool, {
    ...recentCohortRange('month', options.asOf, months),
    asOf: options.asOf,
    months: 12,
  });
  const r = await pool.query(
    `insert into public.cohort_revenue_retention as t (currency, cohort_month, month_offset, customers, start_mrr, mrr, capped_mrr, churned_customers, as_of)
     select * , $9::timestamptz from unnest($1::text[], $2::date[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[], $8::int[])
     on conflict (currency, cohort_month, month_offset) do update set
       customers = excluded.customers, start_mrr = excluded.start_mrr, mrr = excluded.mrr, capped_mrr = excluded.capped_mrr,
       churned_customers = excluded.churned_customers, as_of = excluded.as_of, refreshed_at = now()
     where (t.customers, t.start_mrr, t.mrr, t.capped_mrr, t.churned_customers)
       is distinct from (excluded.customers, excluded.start_mrr, excluded.mrr, excluded.capped_mrr, excluded.churned_customers)`,
    [
      revenue.map((x) => x.currency),
      revenue.map((x) => x.cohortMonth),
      revenue.map((x) => x.monthOffset),
      revenue.map((x) => x.customers),
      revenue.map((x) => x.startMrr),
      revenue.map((x) => x.mrr),
      revenue.map((x) => x.cappedMrr),
      revenue.map((x) => x.churnedCustomers),
      options.asOf,
    ],
  );
  changed += r.rowCount ?? 0;
  const total = userCells + revenue.length;
  await pool.query(
    'update public.cohort_refresh_runs set finished_at = now(), changed_rows = $2, unchanged_rows = $3 where id = $1',
    [run.rows[0]!.id, changed, total - changed],
  );
  return {
    asOf: options.asOf.toISOString(),
    changed,
    unchanged: total - changed,
    userCells,
    revenueCells: revenue.length,
  };
}

interface Cell {
  cohortStart: string;
  period: number;
  size: number;
  retained: number;
}

/** The cells the cohorts have reached (periods not reached yet are not stored). */
const flatten = (m: RetentionMatrix): Cell[] =>
  m.cohorts.flatMap((c) =>
    c.periods.flatMap((p) =>
      p.users === null
        ? []
        : [{ cohortStart: c.cohortStart, period: p.period, size: c.size, retained: p.users }],
    ),
  );

async function upsertUserCells(
  pool: Pool,
  app: string,
  granularity: Granularity,
  mode: RetentionMode,
  cells: Cell[],
  asOf: Date,
): Promise<number> {
  if (cells.length === 0) return 0;
  const r = await pool.query(
    `insert into public.cohort_user_retention as t (app, granularity, mode, cohort_start, period, cohort_size, retained, as_of)
     select $1, $2, $3, cs, k, n, r, $8 from unnest($4::date[], $5::int[], $6::int[], $7::int[]) as x(cs, k, n, r)
     on conflict (app, granularity, mode, cohort_start, period) do update set
       cohort_size = excluded.cohort_size, retained = excluded.retained, as_of = excluded.as_of, refreshed_at = now()
     where (t.cohort_size, t.retained) is distinct from (excluded.cohort_size, excluded.retained)`,
    [
      app,
      granularity,
      mode,
      cells.map((c) => c.cohortStart),
      cells.map((c) => c.period),
      cells.map((c) => c.size),
      cells.map((c) => c.retained),
      asOf,
    ],
  );
  return r.rowCount ?? 0;
}

/**
 * The stored matrix (as refreshed), in the shape of userRetention()'s cohorts: every cohort has
 * a cell per period up to the longest one, null where the refresh found the period not reached.
 * `weightedRetentionSummary(rows)` gives its summary row.
 */
export async function storedUserRetention(
  pool: Pool,
  input: { granularity: Granularity; mode: RetentionMode; app?: string | undefined; from?: Date; to?: Date },
): Promise<RetentionCohort[]> {
  const { rows } = await pool.query<{ cs: string; size: number; period: number; retained: number }>(
    `select to_char(cohort_start, 'YYYY-MM-DD') as cs, cohort_size as size, period, retained from public.cohort_user_retention
     where app = $1 and granularity = $2 and mode = $3 and ($4::date is null or cohort_start >= $4) and ($5::date is null or cohort_start < $5)
     order by cohort_start, period`,
    [
      input.app ?? '*',
      input.granularity,
      input.mode,
      input.from?.toISOString().slice(0, 10) ?? null,
      input.to?.toISOString().slice(0, 10) ?? null,
    ],
  );
  const out = new Map<string, RetentionCohort>();
  const width = Math.max(0, ...rows.map((r) => r.period + 1));
  for (const r of rows) {
    let c = out.get(r.cs);
    if (!c) {
      c = {
        cohortStart: r.cs,
        size: r.size,
        periods: Array.from({ length: width }, (_, k) => ({ period: k, users: null, rate: null })),
      };
      out.set(r.cs, c);
    }
    c.periods[r.period] = {
      period: r.period,
      users: r.retained,
      rate: r.size === 0 ? null : Math.round((r.retained / r.size) * 10_000) / 10_000,
    };
  }
  return [...out.values()];
}
