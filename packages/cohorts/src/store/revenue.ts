import type { Pool } from 'pg';
import { buildRevenueCohorts, type RevenueCohort, type RevenueCohortRow } from '../calc/retention.ts';

export interface RevenueRetentionOptions {
  /** Cohorts by first paid month, months starting in [from, to). */
  from: Date;
  to: Date;
  /** Month-end points after this instant are not computed. */
  asOf: Date;
  currency?: string | undefined;
  /** Months per cohort (default 12). */
  months?: number;
}

/**
 * Customer-level MRR points: a customer's cohort is the UTC month of their first MRR > 0 (in
 * that currency); month k is the MRR in effect at the end of cohort month + k (the interval covering
 * the instant just before it); the start is month 0.
 * Reads only `cohort_mrr_intervals` (the ledger's MRR intervals per customer).
 */
export async function revenueRetentionRows(
  pool: Pool,
  input: RevenueRetentionOptions,
): Promise<RevenueCohortRow[]> {
  const { rows } = await pool.query<{
    currency: string;
    cohort_month: string;
    k: number;
    customers: number;
    start_mrr: string;
    mrr: string;
    capped_mrr: string;
    churned: number;
  }>(
    `with first_paid as (
       select customer_id, currency, date_trunc('month', min(valid_from) at time zone 'UTC') as m
       from public.cohort_mrr_intervals where mrr > 0 and ($4::text is null or currency = $4)
       group by customer_id, currency
     ),
     cohort as (select * from first_paid where m >= ($1::timestamptz at time zone 'UTC') and m < ($2::timestamptz at time zone 'UTC')),
     points as (
       select c.customer_id, c.currency, c.m, k, (c.m + make_interval(months => k + 1)) at time zone 'UTC' as t
       from cohort c cross join generate_series(0, $5 - 1) as k
       where (c.m + make_interval(months => k + 1)) at time zone 'UTC' <= $3
     ),
     valued as (
       select p.*, coalesce((
         select sum(i.mrr) from public.cohort_mrr_intervals i
         where i.customer_id = p.customer_id and i.currency = p.currency and i.valid_from < p.t and (i.valid_to is null or i.valid_to >= p.t)
       ), 0)::bigint as mrr
       from points p
     ),
     based as (
       select v.*, first_value(v.mrr) over (partition by v.customer_id, v.currency order by v.k) as base from valued v
     )
     select currency, to_char(m, 'YYYY-MM-DD') as cohort_month, k, count(*)::int as customers, sum(base)::bigint as start_mrr,
            sum(mrr)::bigint as mrr, sum(least(mrr, base))::bigint as capped_mrr, (count(*) filter (where mrr = 0 and base > 0))::int as churned
     from based group by currency, m, k order by currency, m, k`,
    [input.from, input.to, input.asOf, input.currency ?? null, input.months ?? 12],
  );
  return rows.map((r) => ({
    currency: r.currency,
    cohortMonth: r.cohort_month,
    monthOffset: r.k,
    customers: r.customers,
    startMrr: Number(r.start_mrr),
    mrr: Number(r.mrr),
    cappedMrr: Number(r.capped_mrr),
    churnedCustomers: r.churned,
  }));
}

/** NRR and GRR per first-paid-month cohort and month. */
export async function revenueRetention(pool: Pool, input: RevenueRetentionOptions): Promise<RevenueCohort[]> {
  return buildRevenueCohorts(await revenueRetentionRows(pool, input));
}

export interface CohortChurn {
  currency: string;
  cohortMonth: string;
  customers: number;
  /** Customers of the cohort with MRR 0 at `asOf`. */
  churned: number;
  rate: number | null;
  mrrAtAsOf: number;
}

/** Customer churn per first-paid-month cohort, as of an instant. */
export async function churnByCohort(
  pool: Pool,
  input: { from: Date; to: Date; asOf: Date; currency?: string | undefined },
): Promise<CohortChurn[]> {
  const { rows } = await pool.query<{
    currency: string;
    cohort_month: string;
    customers: number;
    churned: number;
    mrr: string;
  }>(
    `with first_paid as (
       select customer_id, currency, date_trunc('month', min(valid_from) at time zone 'UTC') as m
       from public.cohort_mrr_intervals where mrr > 0 and valid_from < $3 and ($4::text is null or currency = $4)
       group by customer_id, currency
     ),
     valued as (
       select f.*, coalesce((
         select sum(i.mrr) from public.cohort_mrr_intervals i
         where i.customer_id = f.customer_id and i.currency = f.currency and i.valid_from < $3 and (i.valid_to is null or i.valid_to >= $3)
       ), 0)::bigint as mrr
       from first_paid f where m >= ($1::timestamptz at time zone 'UTC') and m < ($2::timestamptz at time zone 'UTC')
     )
     select currency, to_char(m, 'YYYY-MM-DD') as cohort_month, count(*)::int as customers, (count(*) filter (where mrr = 0))::int as churned, sum(mrr)::bigint as mrr
     from valued group by currency, m order by currency, m`,
    [input.from, input.to, input.asOf, input.currency ?? null],
  );
  return rows.map((r) => ({
    currency: r.currency,
    cohortMonth: r.cohort_month,
    customers: r.customers,
    churned: r.churned,
    rate: r.customers === 0 ? null : Math.round((r.churned / r.customers) * 10_000) / 10_000,
    mrrAtAsOf: Number(r.mrr),
  }));
}
