import { LedgerError } from '../errors.ts';
import {
  describeRevenueChoices,
  type RevenueChoices,
  type RevenueOptions,
  revenueChoices,
} from '../pure/choices.ts';
import {
  type FxNeed,
  type FxRateUsed,
  type FxSegment,
  missingFxRateMessage,
  rateDayOf,
  resolveRates,
} from '../pure/fx.ts';
import { type Movements, netMovement } from '../pure/movements.ts';
import { revenueRatios } from '../pure/ratios.ts';
import type { Queryable } from './apply.ts';
import { loadFxRates } from './fx.ts';

/**
 * Revenue queries over the ledger (METRICS.md). All set-based SQL over billing_mrr_intervals and
 * the payment mirror. Conventions:
 * - Periods are half-open [from, to) in UTC.
 * - "MRR as of t" is the MRR in effect at the end of the period ending at t, i.e. just before t:
 *   the intervals with valid_from < t <= valid_to (valid_to null = open).
 * - Movements are per customer per UTC day (clipped to [from, to)), from the MRR just before the
 *   day to the MRR just before the next, so MRR(to) = MRR(from) + net movements exactly, per
 *   currency.
 * - `asOf` (default: `to`) caps the range: nothing after it is counted.
 * - Money is integer minor units of `currency`. By default (`currencies: 'convert'`) every
 *   currency is converted into it with fx_rates: a customer-day's MRR before and after at the rate
 *   of that day (so a rate change alone is no movement), MRR as of t at the rate of the day just
 *   before t, cash at the rate of its day; each customer's converted MRR is rounded half-up once.
 *   The converted totals then satisfy MRR(to) = MRR(from) + net + fxEffect, where fxEffect is the
 *   revaluation of standing MRR by rate changes (ChartMogul's "exchange rate impact"), 0 when rates
 *   do not change. `currencies: 'only'` keeps only amounts in `currency`, unconverted.
 * - A missing rate throws LedgerError `missing_fx_rate` naming the pair and the first day without one.
 */

export type SeriesInterval = 'day' | 'week' | 'month';

export interface RangeQuery extends RevenueOptions {
  from: Date;
  to: Date;
  /** The report's currency: every amount is in its minor units. */
  currency: string;
  asOf?: Date | undefined;
}

export interface CurrencyBreakdown {
  currency: string;
  /** Native minor units of `currency`, never converted: mrr = mrrStart + movements.net holds exactly. */
  mrrStart: number;
  mrr: number;
  movements: Movements & { net: number };
}

export interface RevenueSummary {
  from: string;
  to: string;
  asOf: string;
  currency: string;
  /** The METRICS.md choices this summary used. */
  choices: RevenueChoices;
  /** The same choices as sentences, as reports print them. */
  choiceNotes: string[];
  /** MRR as of `to` (capped at asOf). */
  mrr: number;
  arr: number;
  payingCustomers: number;
  /** MRR / paying customers, rounded; null without paying customers. */
  arpa: number | null;
  mrrStart: number;
  payingCustomersStart: number;
  movements: Movements & { net: number };
  /** mrr - mrrStart - movements.net: MRR revalued by exchange-rate changes (0 without conversion). */
  fxEffect: number;
  newCustomers: number;
  reactivatedCustomers: number;
  churnedCustomers: number;
  customerChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  quickRatio: number | null;
  ltv: number | null;
  /** Customers paying at `from`: their MRR at `to` / at `from` (GRR caps each at its start), both at the rate of `to`. */
  nrr: number | null;
  grr: number | null;
  /** Subscriptions active or past_due as of `to` (capped at asOf), not today. */
  activeSubscriptions: number;
  /** Subscriptions trialing as of `to` (capped at asOf). */
  trialingSubscriptions: number;
  failedPayments: number;
  cash: { collected: number; refunds: number; net: number; payments: number; refundCount: number };
  /** Paid invoice lines of metered prices by payment date (reported whether or not usage is in MRR). */
  usageRevenue: { amount: number; lines: number };
  /** Per currency, unconverted. */
  byCurrency: CurrencyBreakdown[];
  /** The stored rates the conversion applied (none without conversion or with one currency). */
  exchangeRates: FxRateUsed[];
}

const capTo = (q: { to: Date; asOf?: Date | undefined }) => (q.asOf && q.asOf < q.to ? q.asOf : q.to);

/* ---------------------------------------------------------------------------------------------
 * Query plan: the intervals relation for the choices, and the resolved exchange rates.
 * ------------------------------------------------------------------------------------------- */

const intervalColumns =
  'subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at';

/** The MRR intervals relation the choices define (query-time options, no re-materialisation). */
function intervalsSql(c: RevenueChoices): string {
  let rel = 'public.billing_mrr_intervals';
  if (c.meteredUsage === 'last_period')
    rel = `(select ${intervalColumns} from public.billing_mrr_intervals union all select ${intervalColumns} from public.billing_usage_mrr_intervals)`;
  if (c.cancellation === 'request')
    rel = `(select subscription_id, item_id, customer_id, currency, valid_from,
              case when r.cancel_requested_at is not null and (r.valid_to is null or r.cancel_requested_at < r.valid_to) then r.cancel_requested_at else r.valid_to end as valid_to,
              mrr, cancel_requested_at
            from ${rel} r where r.cancel_requested_at is null or r.cancel_requested_at > r.valid_from)`;
  return rel;
}

interface Plan {
  choices: RevenueChoices;
  /** Only amounts in the report's currency are in scope (`currencies: 'only'`, or no other currency found). */
  onlyReportCurrency: boolean;
  source: string;
  /** $4 of every query: the rate segments as JSON. */
  fx: string;
  rates: FxRateUsed[];
}

const segmentsJson = (segments: FxSegment[]) =>
  JSON.stringify(
    segments.map((s) => ({
      currency: s.currency,
      from_day: s.fromDay,
      to_day: s.toDay,
      num: s.factor.num.toString(),
      den: s.factor.den.toString(),
    })),
  );

const identityFx = (currency: string) =>
  segmentsJson([{ currency, fromDay: null, toDay: null, factor: { num: 1n, den: 1n } }]);

/**
 * Every range query takes $1 from, $2 to, $3 the report's currency and $4 the rate segments.
 * `args` is never read: it types all four so a query may leave some of them unused.
 */
const fxCte = `args as (select $1::timestamptz as p_from, $2::timestamptz as p_to, $3::text as p_currency),
fx as (
  select currency, from_day, to_day, num, den
  from jsonb_to_recordset($4::jsonb) as f(currency text, from_day date, to_day date, num numeric, den numeric)
)`;

/** Joins the rate segment of `currency` on `day` (a date expression) as alias `alias`. */
const fxJoin = (alias: string, currency: string, day: string) =>
  `left join fx ${alias} on ${alias}.currency = ${currency} and (${alias}.from_day is null or ${day} >= ${alias}.from_day) and (${alias}.to_day is null or ${day} < ${alias}.to_day)`;

/**
 * `amount` converted with a joined segment, unrounded; a row that found none raises instead of
 * counting as 0. Dividing with 20 decimals keeps the later half-up rounding exact (a converted
 * amount's fraction is a multiple of 1/den, den < 10^14, so it never falls within 10^-20 of a half
 * without being one).
 */
const converted = (amount: string, alias: string, currency: string, day: string) =>
  `(((${amount}) * coalesce(${alias}.num, public.billing_fx_unresolved(${currency}, ${day})))::numeric(60, 20) / ${alias}.den)`;

/** The rate day of "MRR as of t": the UTC day of the instant just before t. */
const instantDay = (t: string) => `((${t} - interval '1 microsecond') at time zone 'UTC')::date`;
const dayOf = (t: string) => `(${t} at time zone 'UTC')::date`;

/**
 * Rows of `alias` in the report: all currencies when converting, else the report's currency ($3)
 * (also when converting finds no other currency in scope: the same rows, and the indexes on
 * currency apply).
 */
const currencyFilter = (p: Plan, alias: string) => (p.onlyReportCurrency ? `${alias}.currency = $3` : 'true');

const meteredLinesSql = `
  select l.currency, l.amount, i.paid_at
  from public.stripe_invoice_lines l
  join public.stripe_invoices i on i.id = l.invoice_id
  left join public.stripe_prices p on p.id = l.price_id
  left join public.stripe_subscription_items si on si.id = l.subscription_item_id
  where i.status = 'paid' and i.paid_at >= $1 and i.paid_at < $2
    and coalesce(p.usage_type, si.raw #>> '{price,recurring,usage_type}') = 'metered'`;

/**
 * Resolves what a query over [from, to] needs: the choices, the intervals relation and, when
 * converting, the rate segments of every currency in scope from the first day it is needed.
 * Throws LedgerError `missing_fx_rate` for a currency without a rate on or before that day.
 */
async function plan(
  db: Queryable,
  q: { from: Date; to: Date; currency: string; options: RevenueOptions; cash?: boolean },
): Promise<Plan> {
  const choices = revenueChoices(q.currency, q.options);
  const source = intervalsSql(choices);
  const quote = choices.currency;
  if (choices.currencies === 'only')
    return { choices, onlyReportCurrency: true, source, fx: identityFx(quote), rates: [] };
  const cash = q.cash
    ? `union all
       select currency, min(${dayOf('succeeded_at')}) from public.stripe_payment_intents
         where status = 'succeeded' and succeeded_at >= $1 and succeeded_at < $2 group by currency
       union all
       select currency, min(${dayOf('created_at')}) from public.stripe_charges
         where payment_intent_id is null and status = 'succeeded' and created_at >= $1 and created_at < $2 group by currency
       union all
       select currency, min(${dayOf('created_at')}) from public.stripe_refunds
         where status in ('succeeded', 'pending') and created_at >= $1 and created_at < $2 group by currency
       union all
       select currency, min(${dayOf('paid_at')}) from (${meteredLinesSql}) u group by currency`
    : '';
  const { rows } = await db.query<{ currency: string; first_day: string }>(
    `select currency, min(first_day)::text as first_day from (
       select currency, min(case when valid_from < $1 then ${instantDay('$1::timestamptz')} else ${dayOf('valid_from')} end) as first_day
       from ${source} s where valid_from < $2 and (valid_to is null or valid_to >= $1) group by currency
       ${cash}
     ) x group by currency`,
    [q.from, q.to],
  );
  const needs: FxNeed[] = rows
    .filter((r) => r.currency !== quote)
    .map((r) => ({ currency: r.currency, firstDay: r.first_day }));
  if (needs.length === 0)
    return { choices, onlyReportCurrency: true, source, fx: identityFx(quote), rates: [] };
  const firstDay = needs.map((n) => n.firstDay).sort()[0]!;
  const lastDay = [rateDayOf(q.to), ...needs.map((n) => n.firstDay)].sort().at(-1)!;
  const stored = await loadFxRates(
    db,
    needs.map((n) => n.currency),
    quote,
    firstDay,
    lastDay,
  );
  const resolved = resolveRates(stored, needs, quote, lastDay);
  if (!resolved.ok)
    throw new LedgerError('missing_fx_rate', missingFxRateMessage(resolved.error), { cause: resolved.error });
  return {
    choices,
    onlyReportCurrency: false,
    source,
    fx: segmentsJson(resolved.value.segments),
    rates: resolved.value.used,
  };
}

const params = (p: Plan, from: Date, to: Date, ...more: unknown[]) => [
  from,
  to,
  p.choices.currency,
  p.fx,
  ...more,
];

/* ---------------------------------------------------------------------------------------------
 * MRR at instants.
 * ------------------------------------------------------------------------------------------- */

interface InstantRow {
  at: Date;
  mrr: number;
  paying: number;
}

/** MRR and paying customers at each instant ($5), each customer converted at the instant's rate day. */
async function mrrAtInstants(
  db: Queryable,
  p: Plan,
  from: Date,
  to: Date,
  at: Date[],
): Promise<InstantRow[]> {
  if (p.onlyReportCurrency) {
    // No conversion: amounts add up as they are (the cheaper plan of a single currency).
    const { rows } = await db.query<InstantRow>(
      `with ${fxCte},
       pts as (select distinct unnest($5::timestamptz[]) as at)
       select p.at, coalesce(sum(i.mrr), 0)::bigint as mrr, count(distinct i.customer_id)::int as paying
       from pts p left join ${p.source} i
         on i.currency = $3 and i.valid_from < p.at and (i.valid_to is null or i.valid_to >= p.at)
       group by p.at order by p.at`,
      params(p, from, to, at),
    );
    return rows.map((r) => ({ at: r.at, mrr: Number(r.mrr), paying: r.paying }));
  }
  const day = instantDay('p.at');
  const { rows } = await db.query<InstantRow>(
    `with ${fxCte},
     pts as (select distinct unnest($5::timestamptz[]) as at),
     conv as (
       select p.at, i.customer_id, round(sum(${converted('i.mrr', 'f', 'i.currency', day)})) as m
       from pts p join ${p.source} i on i.valid_from < p.at and (i.valid_to is null or i.valid_to >= p.at)
       ${fxJoin('f', 'i.currency', day)}
       where ${currencyFilter(p, 'i')}
       group by 1, 2
     )
     select p.at, coalesce(sum(c.m), 0)::bigint as mrr, (count(c.customer_id) filter (where c.m > 0))::int as paying
     from pts p left join conv c on c.at = p.at
     group by p.at order by p.at`,
    params(p, from, to, at),
  );
  return rows.map((r) => ({ at: r.at, mrr: Number(r.mrr), paying: r.paying }));
}

/** MRR, ARR and paying customers as of an instant (converted into `currency` unless `currencies: 'only'`). */
export async function mrrAt(
  db: Queryable,
  options: { at: Date; currency: string } & RevenueOptions,
): Promise<{ mrr: number; arr: number; payingCustomers: number }> {
  const p = await plan(db, { from: options.at, to: options.at, currency: options.currency, options });
  const [r] = await mrrAtInstants(db, p, options.at, options.at, [options.at]);
  const mrr = r?.mrr ?? 0;
  return { mrr, arr: 12 * mrr, payingCustomers: r?.paying ?? 0 };
}

/* ---------------------------------------------------------------------------------------------
 * Movements.
 * ------------------------------------------------------------------------------------------- */

/**
 * Per customer per day movements, as rows; the building block of every movement query. With
 * `perCurrency`, customers are classified per currency in native units (the identity per
 * currency); otherwise on their MRR converted at the rate of the day.
 */
function movesSql(p: Plan, perCurrency: boolean): string {
  const part = perCurrency ? 'customer_id, currency' : 'customer_id';
  const partB = perCurrency ? 'b.customer_id, b.currency' : 'b.customer_id';
  const partPc = perCurrency ? 'pc.customer_id, pc.currency' : 'pc.customer_id';
  const partE = perCurrency ? 'e.customer_id, e.currency' : 'e.customer_id';
  const day = dayOf('pc.b_start');
  const conv = (amount: string) => (perCurrency ? amount : converted(amount, 'f', 'pc.item_currency', day));
  return `
  with ${fxCte},
  iv as (
    select customer_id, currency, valid_from, valid_to, mrr from ${p.source} s
    where ${currencyFilter(p, 's')} and valid_from < $2 and (valid_to is null or valid_to >= $1)
  ),
  changes as (
    select distinct ${part}, date_trunc('day', b at time zone 'UTC') at time zone 'UTC' as day
    from (select ${part}, valid_from as b from iv union all select ${part}, valid_to from iv where valid_to is not null) x
    where b >= $1 and b < $2
  ),
  buckets as (
    select ${part}, greatest(day, $1::timestamptz) as b_start, least(day + interval '1 day', $2::timestamptz) as b_end from changes
  ),
  percur as (
    select ${partB}, b.b_start, b.b_end, i.currency as item_currency,
      coalesce(sum(i.mrr) filter (where i.valid_from < b.b_start and (i.valid_to is null or i.valid_to >= b.b_start)), 0) as prev,
      coalesce(sum(i.mrr) filter (where i.valid_from < b.b_end and (i.valid_to is null or i.valid_to >= b.b_end)), 0) as now
    from buckets b join iv i on i.customer_id = b.customer_id${perCurrency ? ' and i.currency = b.currency' : ''}
      -- Only intervals in effect at either end of the bucket: a currency needs no rate on a day it has no MRR.
      and i.valid_from < b.b_end and (i.valid_to is null or i.valid_to >= b.b_start)
    group by ${partB}, b.b_start, b.b_end, i.currency
  ),
  eod as (
    select ${partPc}, pc.b_start, pc.b_end, round(sum(${conv('pc.prev')})) as prev, round(sum(${conv('pc.now')})) as now
    from percur pc ${perCurrency ? '' : fxJoin('f', 'pc.item_currency', day)}
    group by ${partPc}, pc.b_start, pc.b_end
  ),
  moves as (
    select ${partE}, e.b_start, e.prev, e.now,
      case when e.prev = e.now then null
           when e.prev = 0 and exists (
             select 1 from ${p.source} pb where pb.customer_id = e.customer_id and pb.mrr > 0 and pb.valid_from < e.b_start
           ) then 'reactivation'
           when e.prev = 0 then 'new'
           when e.now = 0 then 'churn'
           when e.now > e.prev then 'expansion'
           else 'contraction' end as kind,
      abs(e.now - e.prev) as amount
    from eod e
  )`;
}

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

type MovementTotals = Movements & {
  newCustomers: number;
  reactivatedCustomers: number;
  churnedCustomers: number;
};

async function movementTotals(db: Queryable, p: Plan, from: Date, to: Date): Promise<MovementTotals> {
  const { rows } = await db.query<MovementRow>(
    `${movesSql(p, false)} select ${movementColumns} from moves where kind is not null`,
    params(p, from, to),
  );
  const r = rows[0];
  return {
    ...toMovements(r),
    newCustomers: r?.new_customers ?? 0,
    reactivatedCustomers: r?.reactivated_customers ?? 0,
    churnedCustomers: r?.churned_customers ?? 0,
  };
}

/** Total MRR movements over [from, to). */
export async function movementsBetween(db: Queryable, q: RangeQuery): Promise<MovementTotals> {
  const to = capTo(q);
  const p = await plan(db, { from: q.from, to, currency: q.currency, options: q });
  return movementTotals(db, p, q.from, to);
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
  const p = await plan(db, { from: q.from, to, currency: q.currency, options: q });
  const { rows } = await db.query<MovementRow & { bucket: Date }>(
    `${movesSql(p, false)},
     grid as (
       select g as bucket from generate_series(date_trunc($5, $1::timestamptz at time zone 'UTC') at time zone 'UTC', $2::timestamptz - interval '1 microsecond', ('1 ' || $5)::interval) g
     ),
     per as (
       select date_trunc($5, b_start at time zone 'UTC') at time zone 'UTC' as bucket, ${movementColumns} from moves where kind is not null group by 1
     )
     select g.bucket, coalesce(p.new, 0) as new, coalesce(p.reactivation, 0) as reactivation, coalesce(p.expansion, 0) as expansion,
            coalesce(p.contraction, 0) as contraction, coalesce(p.churn, 0) as churn
     from grid g left join per p using (bucket) order by g.bucket`,
    params(p, q.from, to, q.interval),
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
  const grid = await db.query<{ at: Date }>(
    `select least(g + ('1 ' || $3)::interval, $2::timestamptz) as at
     from generate_series(date_trunc($3, $1::timestamptz at time zone 'UTC') at time zone 'UTC', $2::timestamptz - interval '1 microsecond', ('1 ' || $3)::interval) g
     order by 1`,
    [q.from, to, q.interval],
  );
  if (grid.rows.length === 0) return [];
  const p = await plan(db, { from: q.from, to, currency: q.currency, options: q });
  const points = await mrrAtInstants(
    db,
    p,
    q.from,
    to,
    grid.rows.map((r) => r.at),
  );
  return points.map((r) => ({
    at: r.at.toISOString(),
    mrr: r.mrr,
    arr: 12 * r.mrr,
    payingCustomers: r.paying,
  }));
}

/** NRR / GRR of the customers paying at `from`, measured at `to`; both sides at the rate of `to`'s day. */
async function retention(
  db: Queryable,
  p: Plan,
  from: Date,
  to: Date,
): Promise<{ nrr: number | null; grr: number | null }> {
  const day = instantDay('$2::timestamptz');
  const { rows } = await db.query<{ start: number; now: number; capped: number }>(
    `with ${fxCte},
     s0 as (
       select customer_id, currency, sum(mrr) as m from ${p.source} i
       where ${currencyFilter(p, 'i')} and valid_from < $1 and (valid_to is null or valid_to >= $1) group by 1, 2
     ),
     e0 as (
       select customer_id, currency, sum(mrr) as m from ${p.source} i
       where ${currencyFilter(p, 'i')} and valid_from < $2 and (valid_to is null or valid_to >= $2)
         and customer_id in (select customer_id from s0) group by 1, 2
     ),
     s as (select x.customer_id, round(sum(${converted('x.m', 'f', 'x.currency', day)})) as m from s0 x ${fxJoin('f', 'x.currency', day)} group by 1),
     e as (select x.customer_id, round(sum(${converted('x.m', 'f', 'x.currency', day)})) as m from e0 x ${fxJoin('f', 'x.currency', day)} group by 1)
     select coalesce(sum(s.m), 0)::bigint as start, coalesce(sum(e.m), 0)::bigint as now, coalesce(sum(least(coalesce(e.m, 0), s.m)), 0)::bigint as capped
     from s left join e using (customer_id)`,
    params(p, from, to),
  );
  const r = rows[0];
  const start = Number(r?.start ?? 0);
  if (start === 0) return { nrr: null, grr: null };
  return { nrr: Number(r!.now) / start, grr: Number(r!.capped) / start };
}

/** Sums `amount` of a relation with `currency` and `ts` columns, converted at the rate of each row's day. */
const convertedSum = (relation: string, where: string) => `(
  select coalesce(sum(round(${converted('x.total', 'f', 'x.currency', 'x.day')})), 0)::bigint
  from (select r.currency, ${dayOf('r.ts')} as day, sum(r.amount) as total from ${relation} r where ${where} group by 1, 2) x
  ${fxJoin('f', 'x.currency', 'x.day')}
)`;

async function cash(db: Queryable, p: Plan, from: Date, to: Date): Promise<RevenueSummary['cash']> {
  const cur = (alias: string) => currencyFilter(p, alias);
  const { rows } = await db.query(
    `with ${fxCte}
     select
       ${convertedSum(
         `(select currency, amount_received as amount, succeeded_at as ts from public.stripe_payment_intents where status = 'succeeded'
           union all select currency, amount_captured, created_at from public.stripe_charges where payment_intent_id is null and status = 'succeeded')`,
         `${cur('r')} and r.ts >= $1 and r.ts < $2`,
       )} as collected,
       (select count(*)::int from public.stripe_payment_intents r
         where status = 'succeeded' and ${cur('r')} and succeeded_at >= $1 and succeeded_at < $2)
       + (select count(*)::int from public.stripe_charges r
         where payment_intent_id is null and status = 'succeeded' and ${cur('r')} and created_at >= $1 and created_at < $2) as payments,
       ${convertedSum(
         `(select currency, amount, created_at as ts from public.stripe_refunds where status in ('succeeded', 'pending'))`,
         `${cur('r')} and r.ts >= $1 and r.ts < $2`,
       )} as refunds,
       (select count(*)::int from public.stripe_refunds r
         where status in ('succeeded', 'pending') and ${cur('r')} and created_at >= $1 and created_at < $2) as refund_count`,
    params(p, from, to),
  );
  const r = rows[0];
  const collected = Number(r.collected);
  const refunds = Number(r.refunds);
  return { collected, refunds, net: collected - refunds, payments: r.payments, refundCount: r.refund_count };
}

/** Cash collected (succeeded payments) and refunds by date in [from, to), converted at the rate of each day. */
export async function cashBetween(db: Queryable, q: RangeQuery): Promise<RevenueSummary['cash']> {
  const to = capTo(q);
  const p = await plan(db, { from: q.from, to, currency: q.currency, options: q, cash: true });
  return cash(db, p, q.from, to);
}

async function usageRevenue(
  db: Queryable,
  p: Plan,
  from: Date,
  to: Date,
): Promise<RevenueSummary['usageRevenue']> {
  const { rows } = await db.query<{ amount: number; lines: number }>(
    `with ${fxCte}
     select ${convertedSum(`(select currency, amount, paid_at as ts from (${meteredLinesSql}) m)`, currencyFilter(p, 'r'))} as amount,
       (select count(*)::int from (${meteredLinesSql}) r where ${currencyFilter(p, 'r')}) as lines`,
    params(p, from, to),
  );
  return { amount: Number(rows[0]?.amount ?? 0), lines: rows[0]?.lines ?? 0 };
}

/** Per currency (native units): MRR at both ends and the movements classified within the currency. */
async function breakdown(db: Queryable, p: Plan, from: Date, to: Date): Promise<CurrencyBreakdown[]> {
  const [levels, moves] = await Promise.all([
    db.query<{ currency: string; start: number; end: number }>(
      `with ${fxCte}
       select currency,
         coalesce(sum(mrr) filter (where valid_from < $1 and (valid_to is null or valid_to >= $1)), 0)::bigint as start,
         coalesce(sum(mrr) filter (where valid_from < $2 and (valid_to is null or valid_to >= $2)), 0)::bigint as end
       from ${p.source} i where ${currencyFilter(p, 'i')} and valid_from < $2 and (valid_to is null or valid_to >= $1)
       group by currency`,
      params(p, from, to),
    ),
    db.query<MovementRow & { currency: string }>(
      `${movesSql(p, true)} select currency, ${movementColumns} from moves where kind is not null group by currency`,
      params(p, from, to),
    ),
  ]);
  const currencies = [
    ...new Set([...levels.rows.map((r) => r.currency), ...moves.rows.map((r) => r.currency)]),
  ].sort();
  return currencies.map((currency) => {
    const l = levels.rows.find((r) => r.currency === currency);
    const m = toMovements(moves.rows.find((r) => r.currency === currency));
    return {
      currency,
      mrrStart: Number(l?.start ?? 0),
      mrr: Number(l?.end ?? 0),
      movements: { ...m, net: netMovement(m) },
    };
  });
}

/**
 * Active (active or past_due) and trialing subscriptions as of `at`: each subscription's state
 * just before `at`, from the latest version applied before it (the first version counts from the
 * subscription's start, as for MRR). A trial whose end has passed counts as active, a
 * subscription whose final service period has ended counts as neither: the same instants that
 * start and end its MRR intervals, whether or not the event reporting them has arrived yet.
 */
async function subscriptionsAt(
  db: Queryable,
  at: Date,
  currency: string | null,
): Promise<{ rows: { active: number; trialing: number }[] }> {
  return db.query<{ active: number; trialing: number }>(
    `with latest as (
       select distinct on (subscription_id) subscription_id, snapshot
       from public.stripe_subscription_versions where src_at < $1
       order by subscription_id, src_at desc, src_rank desc, src_event desc
     ),
     started as (
       -- a subscription whose first version was applied after $1 but that started before it
       select distinct on (subscription_id) subscription_id, snapshot
       from public.stripe_subscription_versions v
       where src_at >= $1 and not exists (select 1 from latest l where l.subscription_id = v.subscription_id)
       order by subscription_id, src_at, src_rank, src_event
     ),
     state as (
       select x.snapshot->>'status' as status,
              (x.snapshot->>'trialEnd')::float8 as trial_end,
              coalesce(
                least((x.snapshot->>'endedAt')::float8, (x.snapshot->>'cancelAt')::float8,
                      case when (x.snapshot->>'cancelAtPeriodEnd')::boolean then (x.snapshot->>'currentPeriodEnd')::float8 end),
                case when x.snapshot->>'status' = 'canceled' then (x.snapshot->>'canceledAt')::float8 end
              ) as ended
       from (
         select snapshot from latest
         union all
         select snapshot from started
         where least((snapshot->>'startDate')::float8, (snapshot->>'created')::float8) < extract(epoch from $1::timestamptz)
       ) x
       where $2::text is null or coalesce(x.snapshot->>'currency', $2) = $2
     ),
     live as (
       select case when status = 'trialing' and trial_end < extract(epoch from $1::timestamptz) then 'active' else status end as status
       from state where ended is null or ended >= extract(epoch from $1::timestamptz)
     )
     select count(*) filter (where status in ('active', 'past_due'))::int as active,
            count(*) filter (where status = 'trialing')::int as trialing
     from live`,
    [at, currency],
  );
}

/** Every revenue figure for [from, to): the JSON of `org-reports revenue`. */
export async function revenueSummary(db: Queryable, q: RangeQuery): Promise<RevenueSummary> {
  const to = capTo(q);
  const p = await plan(db, { from: q.from, to, currency: q.currency, options: q, cash: true });
  const [levels, moves, ret, cashFigures, usage, byCurrency, subs, failed] = await Promise.all([
    mrrAtInstants(db, p, q.from, to, [q.from, to]),
    movementTotals(db, p, q.from, to),
    retention(db, p, q.from, to),
    cash(db, p, q.from, to),
    usageRevenue(db, p, q.from, to),
    breakdown(db, p, q.from, to),
    subscriptionsAt(db, to, p.choices.currencies === 'convert' ? null : p.choices.currency),
    db.query<{ n: number }>(
      `select count(distinct coalesce(payload->'data'->'object'->>'id', id))::int as n from public.stripe_events
       where type in ('invoice.payment_failed', 'payment_intent.payment_failed') and created_at >= $1 and created_at < $2
         and ${p.choices.currencies === 'convert' ? 'true' : `coalesce(payload->'data'->'object'->>'currency', $3) = $3`}`,
      p.choices.currencies === 'convert' ? [q.from, to] : [q.from, to, p.choices.currency],
    ),
  ]);
  const start = levels.find((r) => r.at.getTime() === q.from.getTime()) ?? { mrr: 0, paying: 0 };
  const end = levels.find((r) => r.at.getTime() === to.getTime()) ?? { mrr: 0, paying: 0 };
  const movements = {
    new: moves.new,
    reactivation: moves.reactivation,
    expansion: moves.expansion,
    contraction: moves.contraction,
    churn: moves.churn,
  };
  const net = netMovement(movements);
  const ratios = revenueRatios({
    mrrStart: start.mrr,
    mrrEnd: end.mrr,
    payingStart: start.paying,
    payingEnd: end.paying,
    churnedCustomers: moves.churnedCustomers,
    movements,
    periodDays: (to.getTime() - q.from.getTime()) / 86_400_000,
  });
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    asOf: to.toISOString(),
    currency: p.choices.currency,
    choices: p.choices,
    choiceNotes: describeRevenueChoices(p.choices),
    mrr: end.mrr,
    arr: 12 * end.mrr,
    payingCustomers: end.paying,
    arpa: ratios.arpa,
    mrrStart: start.mrr,
    payingCustomersStart: start.paying,
    movements: { ...movements, net },
    fxEffect: end.mrr - start.mrr - net,
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
    cash: cashFigures,
    usageRevenue: usage,
    byCurrency,
    exchangeRates: p.rates,
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

/** Customers by MRR as of `asOf` (converted at the rate of its day), largest first. */
export async function topCustomers(
  db: Queryable,
  options: { asOf: Date; currency: string; limit?: number } & RevenueOptions,
): Promise<TopCustomer[]> {
  const p = await plan(db, { from: options.asOf, to: options.asOf, currency: options.currency, options });
  const day = instantDay('$1::timestamptz');
  const { rows } = await db.query(
    `with ${fxCte},
     per as (
       select i.customer_id, i.currency, sum(i.mrr) as m, min(i.valid_from) as since from ${p.source} i
       where ${currencyFilter(p, 'i')} and i.valid_from < $1 and (i.valid_to is null or i.valid_to >= $1)
       group by 1, 2
     ),
     conv as (
       select x.customer_id, round(sum(${converted('x.m', 'f', 'x.currency', day)}))::bigint as mrr, min(x.since) as since
       from per x ${fxJoin('f', 'x.currency', day)} group by 1
     )
     select c.customer_id, k.email, k.name, c.mrr, c.since
     from conv c left join public.stripe_customers k on k.id = c.customer_id
     where c.mrr > 0
     order by c.mrr desc, c.customer_id limit $5`,
    params(p, options.asOf, options.asOf, options.limit ?? 10),
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
