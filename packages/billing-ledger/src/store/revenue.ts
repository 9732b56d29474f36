import { type Movements, netMovement } from '../pure/movements.ts';
import { revenueRatios } from '../pure/ratios.ts';
import type { Queryable } from './apply.ts';

/**
 * Revenue queries over the ledger (METRICS.md). All set-based SQL over billing_mrr_intervals and
 * the payment mirror. Conventions:
 * - Periods are half-open [from, to) in UTC.
 * - "MRR as of t" is the MRR in effect at the end of the period ending at t, i.e. just before t:
 *   the intervals with valid_from < t <= valid_to (valid_to null = open).
 * - Movements are per customer per UTC day (clipped to [from, to)), from the MRR just before the
 *   day to the MRR just before the next, so MRR(to) = MRR(from) + net movements exactly.
 * - `asOf` (default: `to`) caps the range: nothing after it is counted.
 * - Money is integer minor units of `currency`; MRR is kept per currency (no conversion here).
 */

export type SeriesInterval = 'day' | 'week' | 'month';

export interface RangeQuery {
  from: Date;
  to: Date;
  currency: string;
  asOf?: Date;
}

export interface RevenueSummary {
  from: string;
  to: string;
  asOf: string;
  currency: string;
  /** MRR as of `to` (capped at asOf). */
  mrr: number;
  arr: number;
  payingCustomers: number;
  /** MRR / paying customers, rounded; null without paying customers. */
  arpa: number | null;
  mrrStart: number;
  payingCustomersStart: number;
  movements: Movements & { net: number };
  newCustomers: number;
  reactivatedCustomers: number;
  churnedCustomers: number;
  customerChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  quickRatio: number | null;
  ltv: number | null;
  /** Customers paying at `from`: their MRR at `to` / at `from` (GRR caps each at its start). */
  nrr: number | null;
  grr: number | null;
  activeSubscriptions: number;
  trialingSubscriptions: number;
  failedPayments: number;
  cash: { collected: number; refunds: number; net: number; payments: number; refundCount: number };
}

const capTo = (q: { to: Date; asOf?: Date | undefined }) => (q.asOf && q.asOf < q.to ? q.asOf : q.to);

/** MRR, ARR and paying customers as of an instant. */
export async function mrrAt(
  db: Queryable,
  options: { at: Date; currency: string },
): Promise<{ mrr: number; arr: number; payingCustomers: number }> {
  const { rows } = await db.query<{ mrr: number; paying: number }>(
    `select coalesce(sum(mrr), 0)::bigint as mrr, count(distinct customer_id)::int as paying
     from public.billing_mrr_intervals
     where currency = $2 and valid_from < $1 and (valid_to is null or valid_to >= $1)`,
    [options.at, options.currency],
  );
  const mrr = Number(rows[0]?.mrr ?? 0);
  return { mrr, arr: 12 * mrr, payingCustomers: rows[0]?.paying ?? 0 };
}

/** Per customer per day movements, as rows; the building block of every movement query. */
const customerDayMovementsSql = `
  with iv as (
    select customer_id, valid_from, valid_to, mrr from public.billing_mrr_intervals
    where currency = $3 and valid_from < $2 and (valid_to is null or valid_to >= $1)
  ),
  changes as (
    select distinct customer_id, date_trunc('day', b at time zone 'UTC') at time zone 'UTC' as day
    from (select customer_id, valid_from as b from iv union all select customer_id, valid_to from iv where valid_to is not null) x
    where b >= $1 and b < $2
  ),
  buckets as (
    select customer_id, greatest(day, $1::timestamptz) as b_start, least(day + interval '1 day', $2::timestamptz) as b_end from changes
  ),
  eod as (
    select b.customer_id, b.b_start, b.b_end,
      coalesce((select sum(i.mrr) from iv i where i.customer_id = b.customer_id and i.valid_from < b.b_start and (i.valid_to is null or i.valid_to >= b.b_start)), 0) as prev,
      coalesce((select sum(i.mrr) from iv i where i.customer_id = b.customer_id and i.valid_from < b.b_end and (i.valid_to is null or i.valid_to >= b.b_end)), 0) as now,
      exists (select 1 from public.billing_mrr_intervals p where p.customer_id = b.customer_id and p.mrr > 0 and p.valid_from < b.b_start) as paid_before
    from buckets b
  ),
  moves as (
    select customer_id, b_start, prev, now,
      case when prev = now then null
           when prev = 0 and paid_before then 'reactivation'
           when prev = 0 then 'new'
           when now = 0 then 'churn'
           when now > prev then 'expansion'
           else 'contraction' end as kind,
      abs(now - prev) as amount
    from eod
  )`;

interface MovementRow {
  new: number;
  reactivation: number;
  expansion: number;
  contraction: number;
  churn: number;
  new_customers: number;
  reactivated_customers: number;
  churned_customers: number;
}

const movementColumns = `
  coalesce(sum(amount) filter (where kind = 'new'), 0)::bigint as new,
  coalesce(sum(amount) filter (where kind = 'reactivation'), 0)::bigint as reactivation,
  coalesce(sum(amount) filter (where kind = 'expansion'), 0)::bigint as expansion,
  coalesce(sum(amount) filter (where kind = 'contraction'), 0)::bigint as contraction,
  coalesce(sum(amount) filter (where kind = 'churn'), 0)::bigint as churn,
  count(distinct customer_id) filter (where kind = 'new')::int as new_customers,
  count(distinct customer_id) filter (where kind = 'reactivation')::int as reactivated_customers,
  count(*) filter (where kind = 'churn')::int as churned_customers`;

const toMovements = (r: MovementRow | undefined): Movements => ({
  new: Number(r?.new ?? 0),
  reactivation: Number(r?.reactivation ?? 0),
  expansion: Number(r?.expansion ?? 0),
  contraction: Number(r?.contraction ?? 0),
  churn: Number(r?.churn ?? 0),
});

/** Total MRR movements over [from, to). */
export async function movementsBetween(
  db: Queryable,
  q: RangeQuery,
): Promise<Movements & { newCustomers: number; reactivatedCustomers: number; churnedCustomers: number }> {
  const to = capTo(q);
  const { rows } = await db.query<MovementRow>(
    `${customerDayMovementsSql} select ${movementColumns} from moves where kind is not null`,
    [q.from, to, q.currency],
  );
  const r = rows[0];
  return {
    ...toMovements(r),
    newCustomers: r?.new_customers ?? 0,
    reactivatedCustomers: r?.reactivated_customers ?? 0,
    churnedCustomers: r?.churned_customers ?? 0,
  };
}

export interface MovementsPoint extends Movements {
  start: string;
  end: string;
  net: number;
}

/** MRR movements per day / ISO week (Monday) / month over [from, to). Buckets without movement are included with zeros. */
export async function movementsSeries(
  db: Queryable,
  q: RangeQuery & { interval: SeriesInterval },
): Promise<MovementsPoint[]> {
  const to = capTo(q);
  const { rows } = await db.query<MovementRow & { bucket: Date }>(
    `${customerDayMovementsSql},
     grid as (
       select g as bucket from generate_series(date_trunc($4, $1::timestamptz at time zone 'UTC') at time zone 'UTC', $2::timestamptz - interval '1 microsecond', ('1 ' || $4)::interval) g
     ),
     per as (
       select date_trunc($4, b_start at time zone 'UTC') at time zone 'UTC' as bucket, ${movementColumns} from moves where kind is not null group by 1
     )
     select g.bucket, coalesce(p.new, 0) as new, coalesce(p.reactivation, 0) as reactivation, coalesce(p.expansion, 0) as expansion,
            coalesce(p.contraction, 0) as contraction, coalesce(p.churn, 0) as churn
     from grid g left join per p using (bucket) order by g.bucket`,
    [q.from, to, q.currency, q.interval],
  );
  return rows.map((r) => {
    const m = toMovements(r);
    const start = new Date(Math.max(r.bucket.getTime(), q.from.getTime()));
    const next = new Date(r.bucket);
    if (q.interval === 'day') next.setUTCDate(next.getUTCDate() + 1);
    else if (q.interval === 'week') next.setUTCDate(next.getUTCDate() + 7);
    else next.setUTCMonth(next.getUTCMonth() + 1);
    const end = next > to ? to : next;
    return { start: start.toISOString(), end: end.toISOString(), ...m, net: netMovement(m) };
  });
}

export interface MrrPoint {
  /** The end of the bucket; MRR as of this instant. */
  at: string;
  mrr: number;
  arr: number;
  payingCustomers: number;
}

/** MRR at the end of each day / week / month bucket in [from, to) (the last point is MRR as of `to`). */
export async function mrrSeries(
  db: Queryable,
  q: RangeQuery & { interval: SeriesInterval },
): Promise<MrrPoint[]> {
  const to = capTo(q);
  const { rows } = await db.query<{ at: Date; mrr: number; paying: number }>(
    `with grid as (
       select least(g + ('1 ' || $4)::interval, $2::timestamptz) as at
       from generate_series(date_trunc($4, $1::timestamptz at time zone 'UTC') at time zone 'UTC', $2::timestamptz - interval '1 microsecond', ('1 ' || $4)::interval) g
     )
     select g.at, coalesce(sum(i.mrr), 0)::bigint as mrr, count(distinct i.customer_id)::int as paying
     from grid g left join public.billing_mrr_intervals i
       on i.currency = $3 and i.valid_from < g.at and (i.valid_to is null or i.valid_to >= g.at)
     group by g.at order by g.at`,
    [q.from, to, q.currency, q.interval],
  );
  return rows.map((r) => ({
    at: r.at.toISOString(),
    mrr: Number(r.mrr),
    arr: 12 * Number(r.mrr),
    payingCustomers: r.paying,
  }));
}

/** NRR / GRR of the customers paying at `from`, measured at `to`. */
async function retention(
  db: Queryable,
  from: Date,
  to: Date,
  currency: string,
): Promise<{ nrr: number | null; grr: number | null }> {
  const { rows } = await db.query<{ start: number; now: number; capped: number }>(
    `with s as (
       select customer_id, sum(mrr) as m from public.billing_mrr_intervals
       where currency = $3 and valid_from < $1 and (valid_to is null or valid_to >= $1) group by customer_id
     ), e as (
       select customer_id, sum(mrr) as m from public.billing_mrr_intervals
       where currency = $3 and valid_from < $2 and (valid_to is null or valid_to >= $2) and customer_id in (select customer_id from s) group by customer_id
     )
     select coalesce(sum(s.m), 0)::bigint as start, coalesce(sum(e.m), 0)::bigint as now, coalesce(sum(least(coalesce(e.m, 0), s.m)), 0)::bigint as capped
     from s left join e using (customer_id)`,
    [from, to, currency],
  );
  const r = rows[0];
  const start = Number(r?.start ?? 0);
  if (start === 0) return { nrr: null, grr: null };
  return { nrr: Number(r!.now) / start, grr: Number(r!.capped) / start };
}

/** Cash collected (succeeded payments) and refunds by date in [from, to). */
export async function cashBetween(db: Queryable, q: RangeQuery): Promise<RevenueSummary['cash']> {
  const to = capTo(q);
  const { rows } = await db.query(
    `select
       (select coalesce(sum(amount_received), 0)::bigint from public.stripe_payment_intents
         where status = 'succeeded' and currency = $3 and succeeded_at >= $1 and succeeded_at < $2)
       + (select coalesce(sum(amount_captured), 0)::bigint from public.stripe_charges
         where payment_intent_id is null and status = 'succeeded' and currency = $3 and created_at >= $1 and created_at < $2) as collected,
       (select count(*)::int from public.stripe_payment_intents
         where status = 'succeeded' and currency = $3 and succeeded_at >= $1 and succeeded_at < $2)
       + (select count(*)::int from public.stripe_charges
         where payment_intent_id is null and status = 'succeeded' and currency = $3 and created_at >= $1 and created_at < $2) as payments,
       (select coalesce(sum(amount), 0)::bigint from public.stripe_refunds
         where status in ('succeeded', 'pending') and currency = $3 and created_at >= $1 and created_at < $2) as refunds,
       (select count(*)::int from public.stripe_refunds
         where status in ('succeeded', 'pending') and currency = $3 and created_at >= $1 and created_at < $2) as refund_count`,
    [q.from, to, q.currency],
  );
  const r = rows[0];
  const collected = Number(r.collected);
  const refunds = Number(r.refunds);
  return { collected, refunds, net: collected - refunds, payments: r.payments, refundCount: r.refund_count };
}

/** Every revenue figure for [from, to): the JSON of `org-reports revenue`. */
export async function revenueSummary(db: Queryable, q: RangeQuery): Promise<RevenueSummary> {
  const to = capTo(q);
  const [end, start, moves, ret, cash, subs, failed] = await Promise.all([
    mrrAt(db, { at: to, currency: q.currency }),
    mrrAt(db, { at: q.from, currency: q.currency }),
    movementsBetween(db, { ...q, to }),
    retention(db, q.from, to, q.currency),
    cashBetween(db, { ...q, to }),
    db.query<{ active: number; trialing: number }>(
      `select count(*) filter (where status in ('active', 'past_due'))::int as active, count(*) filter (where status = 'trialing')::int as trialing
       from public.stripe_subscriptions where coalesce(currency, $1) = $1`,
      [q.currency],
    ),
    db.query<{ n: number }>(
      `select count(distinct coalesce(payload->'data'->'object'->>'id', id))::int as n from public.stripe_events
       where type in ('invoice.payment_failed', 'payment_intent.payment_failed') and created_at >= $1 and created_at < $2
         and coalesce(payload->'data'->'object'->>'currency', $3) = $3`,
      [q.from, to, q.currency],
    ),
  ]);
  const movements = {
    new: moves.new,
    reactivation: moves.reactivation,
    expansion: moves.expansion,
    contraction: moves.contraction,
    churn: moves.churn,
  };
  const ratios = revenueRatios({
    mrrStart: start.mrr,
    mrrEnd: end.mrr,
    payingStart: start.payingCustomers,
    payingEnd: end.payingCustomers,
    churnedCustomers: moves.churnedCustomers,
    movements,
    periodDays: (to.getTime() - q.from.getTime()) / 86_400_000,
  });
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    asOf: to.toISOString(),
    currency: q.currency,
    mrr: end.mrr,
    arr: end.arr,
    payingCustomers: end.payingCustomers,
    arpa: ratios.arpa,
    mrrStart: start.mrr,
    payingCustomersStart: start.payingCustomers,
    movements: { ...movements, net: netMovement(movements) },
    newCustomers: moves.newCustomers,
    reactivatedCustomers: moves.reactivatedCustomers,
    churnedCustomers: moves.churnedCustomers,
    customerChurnRate: ratios.customerChurnRate,
    grossMrrChurnRate: ratios.grossMrrChurnRate,
    netMrrChurnRate: ratios.netMrrChurnRate,
    quickRatio: ratios.quickRatio,
    ltv: ratios.ltv,
    nrr: ret.nrr,
    grr: ret.grr,
    activeSubscriptions: subs.rows[0]?.active ?? 0,
    trialingSubscriptions: subs.rows[0]?.trialing ?? 0,
    failedPayments: failed.rows[0]?.n ?? 0,
    cash,
  };
}

export interface TopCustomer {
  customerId: string;
  email: string | null;
  name: string | null;
  mrr: number;
  /** When the customer's current paying streak's first interval began. */
  payingSince: string | null;
}

/** Customers by MRR as of `asOf`, largest first. */
export async function topCustomers(
  db: Queryable,
  options: { asOf: Date; currency: string; limit?: number },
): Promise<TopCustomer[]> {
  const { rows } = await db.query(
    `select i.customer_id, c.email, c.name, sum(i.mrr)::bigint as mrr, min(i.valid_from) as since
     from public.billing_mrr_intervals i left join public.stripe_customers c on c.id = i.customer_id
     where i.currency = $2 and i.valid_from < $1 and (i.valid_to is null or i.valid_to >= $1)
     group by i.customer_id, c.email, c.name order by 4 desc, 1 limit $3`,
    [options.asOf, options.currency, options.limit ?? 10],
  );
  return rows.map((r) => ({
    customerId: r.customer_id,
    email: r.email,
    name: r.name,
    mrr: Number(r.mrr),
    payingSince: r.since ? r.since.toISOString() : null,
  }));
}

export interface PaymentRow {
  id: string;
  customerId: string | null;
  invoiceId: string | null;
  amount: number;
  amountReceived: number;
  currency: string;
  status: string;
  failureMessage: string | null;
  at: string;
}

/** Latest payment intents (any status unless `status` is given), newest first, up to `asOf`. */
export async function recentPayments(
  db: Queryable,
  options: { asOf?: Date; limit?: number; currency?: string; status?: string } = {},
): Promise<PaymentRow[]> {
  const { rows } = await db.query(
    `select id, customer_id, invoice_id, amount, amount_received, currency, status, last_error, coalesce(succeeded_at, src_at) as at
     from public.stripe_payment_intents
     where ($1::text is null or currency = $1) and ($2::text is null or status = $2) and coalesce(succeeded_at, src_at) <= $3
     order by at desc, id desc limit $4`,
    [
      options.currency ?? null,
      options.status ?? null,
      options.asOf ?? new Date('9999-12-31T00:00:00Z'),
      options.limit ?? 20,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    customerId: r.customer_id,
    invoiceId: r.invoice_id,
    amount: Number(r.amount),
    amountReceived: Number(r.amount_received),
    currency: r.currency,
    status: r.status,
    failureMessage: r.last_error,
    at: r.at.toISOString(),
  }));
}

export interface RefundRow {
  id: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  status: string | null;
  reason: string | null;
  createdAt: string;
}

/** Latest refunds, newest first, up to `asOf`. */
export async function recentRefunds(
  db: Queryable,
  options: { asOf?: Date; limit?: number; currency?: string } = {},
): Promise<RefundRow[]> {
  const { rows } = await db.query(
    `select id, charge_id, payment_intent_id, amount, currency, status, reason, created_at from public.stripe_refunds
     where ($1::text is null or currency = $1) and created_at <= $2 order by created_at desc, id desc limit $3`,
    [options.currency ?? null, options.asOf ?? new Date('9999-12-31T00:00:00Z'), options.limit ?? 20],
  );
  return rows.map((r) => ({
    id: r.id,
    chargeId: r.charge_id,
    paymentIntentId: r.payment_intent_id,
    amount: Number(r.amount),
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at.toISOString(),
  }));
}
