import type pg from 'pg';
import { err, type LedgerError, ok, type Result } from '../errors.ts';
import {
  type CustomerDiscountVersion,
  customerDiscountSpans,
  type DiscountSnapshot,
  type SubscriptionSnapshot,
  type SubscriptionVersion,
  subscriptionIntervals,
} from '../pure/mrr.ts';
import { compareKeys, lifecycleRank, type VersionKey } from '../pure/ordering.ts';
import { statementName } from '../queue.ts';
import {
  discountSnapshot,
  type ParsedObject,
  parseStripeObject,
  subscriptionSnapshot,
} from '../stripe/parse.ts';
import type { StripeCoupon, StripeDiscount } from '../stripe/schemas.ts';

/**
 * The one mapping from Stripe objects to the mirror tables, shared by webhook processing and by
 * backfills. Every write is guarded by the object's version key (see pure/ordering.ts), so the
 * same object applied twice, or an older state applied after a newer one, changes nothing.
 *
 * Writes are set-based: `applyStripeObjects` takes many objects (a processing batch, a backfill
 * page) and writes each table with one statement; `applyStripeObject` is the one-object case.
 */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Runs a fixed SQL text as a named prepared statement (planned once per connection). */
export function prepared<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name: statementName(text), text, values });
}

export interface ApplyOptions {
  /** When the state was true: the event's `created`, or the observation time for a backfill. */
  observedAt: Date;
  /** The Stripe event id the object came from; omit (or '') for a backfill. */
  sourceEventId?: string | null;
  /** The object was deleted (a `*.deleted` event). */
  deleted?: boolean;
  /**
   * The object is the `data.object` of inbox event `sourceEventId` as stored: its rows take their
   * raw JSON from the inbox in SQL instead of receiving the same JSON again.
   */
  rawInInbox?: boolean;
}

export type ApplyOutcome = 'inserted' | 'updated' | 'skipped';

export interface ApplyResult {
  kind: ParsedObject['kind'];
  id: string;
  outcome: ApplyOutcome;
}

const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const iso = (s: number | null | undefined) =>
  s === null || s === undefined ? null : new Date(s * 1000).toISOString();
const keyFor = (options: ApplyOptions, rank: number): VersionKey => ({
  at: sec(options.observedAt),
  rank,
  eventId: options.sourceEventId ?? '',
});
const keyString = (k: VersionKey) => `${k.at}/${k.rank}/${k.eventId}`;

interface RowWrite {
  row: Record<string, unknown>;
  key: VersionKey;
  /** Index of the input this row came from (-1 for rows derived from another object). */
  source: number;
}

interface TableSpec {
  table: string;
  /** Write under this bucket name (default: the table). */
  bucket?: string;
  /**
   * Insert when absent, never update: coupons embedded in discounts are snapshots of an object
   * with its own events; taking no lock on an existing row keeps batches from contending on a
   * coupon shared by many subscriptions.
   */
  insertOnly?: boolean;
  /** Columns that merge regardless of the guard (order-independent expressions). */
  always?: Record<string, string>;
}

/** A row sent without `raw` (see `ApplyOptions.rawInInbox`) takes it from its source event. */
const rawFromInbox = `coalesce(raw, (select e.payload->'data'->'object' from public.stripe_events e where e.id = src_event)) as raw`;

/**
 * Multi-row guarded upsert. Rows of the same id are reduced to the greatest key first (the guard
 * would discard the others anyway); `merge` combines columns across them (e.g. a least()).
 * Returns the outcome per input row.
 */
async function upsertMany(
  db: Queryable,
  spec: TableSpec,
  writes: RowWrite[],
  merge?: (winner: RowWrite, all: RowWrite[]) => void,
): Promise<Map<RowWrite, ApplyOutcome>> {
  const outcomes = new Map<RowWrite, ApplyOutcome>();
  if (writes.length === 0) return outcomes;
  const byId = new Map<string, RowWrite[]>();
  for (const w of writes) {
    const id = w.row.id as string;
    byId.set(id, [...(byId.get(id) ?? []), w]);
  }
  const winners: RowWrite[] = [];
  for (const group of byId.values()) {
    const winner = group.reduce((a, b) => (compareKeys(b.key, a.key) > 0 ? b : a));
    merge?.(winner, group);
    winners.push(winner);
    for (const w of group) if (w !== winner) outcomes.set(w, 'skipped');
  }
  winners.sort((a, b) => ((a.row.id as string) < (b.row.id as string) ? -1 : 1));
  const cols = [...Object.keys(winners[0]!.row), 'src_at', 'src_rank', 'src_event'];
  const always = spec.always ?? {};
  const merged = Object.keys(always).length > 0;
  const newer =
    '(t.src_at, t.src_rank, t.src_event) < (excluded.src_at, excluded.src_rank, excluded.src_event)';
  const updates = cols
    .filter((c) => c !== 'id')
    .map((c) =>
      always[c]
        ? `${c} = ${always[c]}`
        : merged
          ? `${c} = case when ${newer} then excluded.${c} else t.${c} end`
          : `${c} = excluded.${c}`,
    );
  const conflict = spec.insertOnly
    ? 'on conflict (id) do nothing'
    : `on conflict (id) do update set ${updates.join(', ')}, updated_at = ${merged ? `case when ${newer} then now() else t.updated_at end` : 'now()'}
    ${merged ? '' : `where ${newer}`}`;
  const sql = `insert into public.${spec.table} as t (${cols.join(', ')})
    select ${cols.map((c) => (c === 'raw' ? rawFromInbox : c)).join(', ')} from jsonb_populate_recordset(null::public.${spec.table}, $1::jsonb)
    ${conflict}
    returning id, (xmax = 0) as inserted, extract(epoch from src_at)::bigint as at, src_rank, src_event`;
  const payload = winners.map((w) => ({
    ...w.row,
    src_at: new Date(w.key.at * 1000).toISOString(),
    src_rank: w.key.rank,
    src_event: w.key.eventId,
  }));
  const r = await prepared<{
    id: string;
    inserted: boolean;
    at: number;
    src_rank: number;
    src_event: string;
  }>(db, sql, [JSON.stringify(payload)]);
  const returned = new Map(r.rows.map((x) => [x.id, x]));
  for (const w of winners) {
    const x = returned.get(w.row.id as string);
    if (!x) outcomes.set(w, 'skipped');
    else if (x.inserted) outcomes.set(w, 'inserted');
    else
      outcomes.set(
        w,
        Number(x.at) === w.key.at && Number(x.src_rank) === w.key.rank && x.src_event === w.key.eventId
          ? 'updated'
          : 'skipped',
      );
  }
  return outcomes;
}

/** Serialises MRR recomputation of subscriptions across concurrent workers (ids locked in sorted order). */
async function lockSubscriptions(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await prepared(
    db,
    `select count(pg_advisory_xact_lock(h)) from (select hashtextextended('billing-ledger:sub:' || id, 0) as h from unnest($1::text[]) as id order by id) s`,
    [[...new Set(ids)].sort()],
  );
}

/**
 * Customer locks, then subscription locks, in one statement (customers first, each set sorted).
 * A new subscription version and a new customer discount of the same customer serialise on the
 * customer, so each recompute sees the other's rows.
 */
async function lockCustomersAndSubscriptions(
  db: Queryable,
  customerIds: string[],
  subscriptionIds: string[],
): Promise<void> {
  if (customerIds.length === 0) return lockSubscriptions(db, subscriptionIds);
  await prepared(
    db,
    `select count(pg_advisory_xact_lock(h)) from (
       select hashtextextended(k, 0) as h from unnest($1::text[]) with ordinality as x(k, n) order by n
     ) s`,
    [
      [
        ...[...new Set(customerIds)].sort().map((id) => `billing-ledger:cust:${id}`),
        ...[...new Set(subscriptionIds)].sort().map((id) => `billing-ledger:sub:${id}`),
      ],
    ],
  );
}

type StoredSnapshot = SubscriptionSnapshot & {
  discountIds?: string[];
  discounts: (SubscriptionSnapshot['discounts'][number] & { couponId?: string | null })[];
};
type Coupon = {
  percentOff: number | null;
  amountOff: number | null;
  currency: string | null;
  duration: 'forever' | 'once' | 'repeating';
};

/**
 * Rebuilds billing_mrr_intervals of the given subscriptions from all their applied versions,
 * resolving discounts given only by id (or coupons given only by id) from the mirror. Call inside
 * the transaction that changed the subscriptions, their discounts or coupons.
 */
export async function recomputeSubscriptionsMrr(
  db: Queryable,
  subscriptionIds: string[],
  options: { locked?: boolean } = {},
): Promise<number> {
  const ids = [...new Set(subscriptionIds)].sort();
  if (ids.length === 0) return 0;
  if (!options.locked) await lockSubscriptions(db, ids);
  const { rows } = await prepared<{
    subscription_id: string;
    at: number;
    rank: number;
    event: string;
    snapshot: StoredSnapshot;
  }>(
    db,
    `select subscription_id, extract(epoch from src_at)::bigint as at, src_rank as rank, src_event as event, snapshot
     from public.stripe_subscription_versions where subscription_id = any($1)`,
    [ids],
  );
  // Customer-level discounts of the subscriptions' customers (applied where a subscription has none).
  const customerIds = [...new Set(rows.map((r) => r.snapshot.customerId))].sort();
  const customerDiscountRows = customerIds.length
    ? (
        await prepared<{
          customer_id: string;
          at: number;
          rank: number;
          event: string;
          deleted: boolean;
          snapshot: DiscountSnapshot & { id: string; couponId?: string | null };
        }>(
          db,
          `select customer_id, extract(epoch from src_at)::bigint as at, src_rank as rank, src_event as event, deleted, snapshot
           from public.stripe_customer_discount_versions where customer_id = any($1)`,
          [customerIds],
        )
      ).rows
    : [];
  const discountIds = new Set<string>();
  const couponIds = new Set<string>();
  for (const r of customerDiscountRows)
    if (r.snapshot.couponId && r.snapshot.percentOff === null && r.snapshot.amountOff === null)
      couponIds.add(r.snapshot.couponId);
  for (const r of rows) {
    for (const id of r.snapshot.discountIds ?? []) discountIds.add(id);
    for (const d of r.snapshot.discounts)
      if (d.couponId && d.percentOff === null && d.amountOff === null) couponIds.add(d.couponId);
  }
  const discounts = new Map<string, StoredSnapshot['discounts'][number]>();
  if (discountIds.size) {
    const d = await prepared(
      db,
      `select id, coupon_id, percent_off::float8 as percent_off, amount_off, currency, duration,
              extract(epoch from start_at)::bigint as start_s, extract(epoch from end_at)::bigint as end_s
       from public.stripe_discounts where id = any($1)`,
      [[...discountIds]],
    );
    for (const r of d.rows) {
      discounts.set(r.id, {
        id: r.id,
        couponId: r.coupon_id,
        percentOff: r.percent_off,
        amountOff: r.amount_off,
        currency: r.currency,
        duration: r.duration ?? 'forever',
        start: r.start_s === null ? null : Number(r.start_s),
        end: r.end_s === null ? null : Number(r.end_s),
      });
      if (r.coupon_id && r.percent_off === null && r.amount_off === null) couponIds.add(r.coupon_id);
    }
  }
  const coupons = new Map<string, Coupon>();
  if (couponIds.size) {
    const c = await prepared(
      db,
      `select id, percent_off::float8 as percent_off, amount_off, currency, duration from public.stripe_coupons where id = any($1)`,
      [[...couponIds]],
    );
    for (const r of c.rows)
      coupons.set(r.id, {
        percentOff: r.percent_off,
        amountOff: r.amount_off,
        currency: r.currency,
        duration: r.duration,
      });
  }
  const withCoupon = <D extends DiscountSnapshot & { couponId?: string | null }>(d: D): D => {
    const c =
      d.couponId && d.percentOff === null && d.amountOff === null ? coupons.get(d.couponId) : undefined;
    return c ? { ...d, ...c } : d;
  };
  const customerDiscounts = new Map<string, CustomerDiscountVersion[]>();
  for (const r of customerDiscountRows) {
    const list = customerDiscounts.get(r.customer_id) ?? [];
    list.push({
      at: Number(r.at),
      rank: Number(r.rank),
      eventId: r.event,
      deleted: r.deleted,
      discount: withCoupon(r.snapshot),
    });
    customerDiscounts.set(r.customer_id, list);
  }
  const bySub = new Map<string, SubscriptionVersion[]>();
  for (const r of rows) {
    const resolved = [
      ...r.snapshot.discounts,
      ...(r.snapshot.discountIds ?? []).map((id) => discounts.get(id)).filter((d) => d !== undefined),
    ].map((d) => {
      const c =
        d.couponId && d.percentOff === null && d.amountOff === null ? coupons.get(d.couponId) : undefined;
      return c ? { ...d, ...c } : d;
    });
    const list = bySub.get(r.subscription_id) ?? [];
    list.push({
      at: Number(r.at),
      rank: Number(r.rank),
      eventId: r.event,
      snapshot: { ...r.snapshot, discounts: resolved },
    });
    bySub.set(r.subscription_id, list);
  }
  const intervals = [...bySub.values()].flatMap((versions) => {
    const customer = versions[0]!.snapshot.customerId;
    const spans = customerDiscountSpans(customerDiscounts.get(customer) ?? []);
    return subscriptionIntervals(versions, { customerDiscounts: spans });
  });
  // Replace the subscriptions' intervals in one statement: upsert the new set, delete the rest.
  await prepared(
    db,
    `with new as (
       select x.subscription_id, x.item_id, x.customer_id, x.currency, to_timestamp(x.valid_from) as valid_from, to_timestamp(x.valid_to) as valid_to, x.mrr,
              to_timestamp(x.cancel_requested_at) as cancel_requested_at
       from jsonb_to_recordset($2::jsonb) as x(subscription_id text, item_id text, customer_id text, currency text, valid_from bigint, valid_to bigint, mrr bigint, cancel_requested_at bigint)
     ), gone as (
       delete from public.billing_mrr_intervals i where i.subscription_id = any($1)
         and not exists (select 1 from new n where n.subscription_id = i.subscription_id and n.item_id = i.item_id and n.valid_from = i.valid_from)
     )
     insert into public.billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at)
     select subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at from new
     on conflict (subscription_id, item_id, valid_from) do update set customer_id = excluded.customer_id, currency = excluded.currency, valid_to = excluded.valid_to, mrr = excluded.mrr,
       cancel_requested_at = excluded.cancel_requested_at
     where (billing_mrr_intervals.customer_id, billing_mrr_intervals.currency, billing_mrr_intervals.valid_to, billing_mrr_intervals.mrr, billing_mrr_intervals.cancel_requested_at)
       is distinct from (excluded.customer_id, excluded.currency, excluded.valid_to, excluded.mrr, excluded.cancel_requested_at)`,
    [
      ids,
      JSON.stringify(
        intervals.map((i) => ({
          subscription_id: i.subscriptionId,
          item_id: i.itemId,
          customer_id: i.customerId,
          currency: i.currency,
          valid_from: i.validFrom,
          valid_to: i.validTo,
          mrr: i.mrr,
          cancel_requested_at: i.cancelRequestedAt,
        })),
      ),
    ],
  );
  return intervals.length;
}

/** One subscription; see `recomputeSubscriptionsMrr`. */
export function recomputeSubscriptionMrr(
  db: Queryable,
  subscriptionId: string,
  options: { locked?: boolean } = {},
): Promise<number> {
  return recomputeSubscriptionsMrr(db, [subscriptionId], options);
}

export interface ApplyInput {
  object: unknown;
  options: ApplyOptions;
}

type Writes = Record<string, RowWrite[]>;

/** A customer-level discount state to keep in stripe_customer_discount_versions. */
interface CustomerDiscountWrite {
  customer_id: string;
  discount_id: string;
  key: VersionKey;
  deleted: boolean;
  snapshot: unknown;
}

/**
 * Is this discount the customer's own (Stripe's `customer.discount`), rather than one attached
 * to a subscription, a subscription item, an invoice or an invoice item?
 */
function isCustomerLevel(d: StripeDiscount, raw: unknown): d is StripeDiscount & { customer: string } {
  const r = (raw ?? {}) as Record<string, unknown>;
  return (
    typeof d.customer === 'string' && !d.subscription && !r.subscription_item && !r.invoice && !r.invoice_item
  );
}

function couponRow(c: StripeCoupon, raw: unknown, deleted: boolean) {
  return {
    id: c.id,
    percent_off: c.percent_off ?? null,
    amount_off: c.amount_off ?? null,
    currency: c.currency ?? null,
    duration: c.duration,
    duration_in_months: c.duration_in_months ?? null,
    deleted,
    raw,
  };
}

function discountRow(d: StripeDiscount, raw: unknown, deleted: boolean) {
  const snap = discountSnapshot(d);
  const coupon = d.coupon ?? d.source?.coupon ?? null;
  return {
    id: d.id ?? `${d.subscription ?? d.customer ?? 'unknown'}:${snap.couponId ?? 'coupon'}`,
    customer_id: d.customer ?? null,
    subscription_id: d.subscription ?? null,
    coupon_id: snap.couponId,
    percent_off: snap.percentOff,
    amount_off: snap.amountOff,
    currency: snap.currency,
    duration: coupon !== null && typeof coupon === 'object' ? coupon.duration : null,
    start_at: iso(d.start),
    end_at: iso(d.end),
    deleted,
    raw,
  };
}

/** Rows (and side data) for one parsed object. */
function collect(
  parsed: ParsedObject,
  raw: unknown,
  options: ApplyOptions,
  source: number,
  writes: Writes,
  versions: { subscription_id: string; key: VersionKey; snapshot: unknown }[],
  items: Map<string, unknown[]>,
  lines: Map<string, unknown[]>,
  customerDiscounts: CustomerDiscountWrite[] = [],
): string {
  const deleted = options.deleted ?? false;
  const push = (table: string, row: Record<string, unknown>, key: VersionKey, src = source) => {
    if (options.rawInInbox && src >= 0 && row.raw === raw) row.raw = undefined;
    const w: RowWrite = { row, key, source: src };
    const list = writes[table] ?? [];
    list.push(w);
    writes[table] = list;
    return w;
  };
  switch (parsed.kind) {
    case 'customer': {
      const c = parsed.value;
      const del = deleted || c.deleted === true;
      push(
        'stripe_customers',
        {
          id: c.id,
          email: c.email ?? null,
          name: c.name ?? null,
          currency: c.currency ?? null,
          deleted: del,
          created_at: iso(c.created),
          metadata: c.metadata ?? {},
          raw,
        },
        keyFor(options, lifecycleRank('customer', null, { deleted: del })),
      );
      return c.id;
    }
    case 'product': {
      const p = parsed.value;
      const del = deleted || p.deleted === true;
      push(
        'stripe_products',
        {
          id: p.id,
          name: p.name ?? null,
          active: p.active ?? null,
          deleted: del,
          created_at: iso(p.created),
          metadata: p.metadata ?? {},
          raw,
        },
        keyFor(options, lifecycleRank('product', null, { deleted: del })),
      );
      return p.id;
    }
    case 'price': {
      const p = parsed.value;
      push(
        'stripe_prices',
        {
          id: p.id,
          product_id: p.product ?? null,
          currency: p.currency.toLowerCase(),
          unit_amount: p.unit_amount ?? null,
          type: p.type ?? null,
          billing_scheme: p.billing_scheme ?? null,
          tiers_mode: p.tiers_mode ?? null,
          tiers: p.tiers ?? null,
          recurring_interval: p.recurring?.interval ?? null,
          recurring_interval_count: p.recurring?.interval_count ?? null,
          usage_type: p.recurring?.usage_type ?? null,
          active: p.active ?? null,
          deleted,
          nickname: p.nickname ?? null,
          lookup_key: p.lookup_key ?? null,
          created_at: iso(p.created),
          metadata: p.metadata ?? {},
          raw,
        },
        keyFor(options, lifecycleRank('price', null, { deleted })),
      );
      return p.id;
    }
    case 'coupon': {
      push(
        'stripe_coupons',
        couponRow(parsed.value, raw, deleted),
        keyFor(options, lifecycleRank('coupon', null, { deleted })),
      );
      return parsed.value.id;
    }
    case 'discount': {
      const d = parsed.value;
      // An embedded coupon is denormalised into the discount row; the coupons table follows
      // coupon.* events only (a shared row written by every discounted subscription's events would
      // serialise concurrent batches, and its copies differ in counters such as times_redeemed).
      const row = discountRow(d, raw, deleted);
      const key = keyFor(options, lifecycleRank('discount', null, { deleted }));
      push('stripe_discounts', row, key);
      if (isCustomerLevel(d, raw)) {
        const { id: _id, ...terms } = discountSnapshot(d);
        customerDiscounts.push({
          customer_id: d.customer,
          discount_id: row.id,
          key,
          deleted,
          snapshot: { id: row.id, ...terms },
        });
      }
      return row.id;
    }
    case 'subscription': {
      const s = parsed.value;
      const snap = subscriptionSnapshot(s);
      const key = keyFor(options, lifecycleRank('subscription', s.status));
      push(
        'stripe_subscriptions',
        {
          id: s.id,
          customer_id: s.customer,
          status: s.status,
          currency: snap.currency,
          start_date: iso(snap.startDate),
          created_at: iso(snap.created),
          trial_start: iso(snap.trialStart),
          trial_end: iso(snap.trialEnd),
          current_period_start: iso(snap.currentPeriodStart),
          current_period_end: iso(snap.currentPeriodEnd),
          cancel_at_period_end: snap.cancelAtPeriodEnd,
          cancel_at: iso(snap.cancelAt),
          canceled_at: iso(snap.canceledAt),
          ended_at: iso(snap.endedAt),
          metadata: s.metadata ?? {},
          raw,
        },
        key,
      );
      const rawItems = (raw as { items?: { data?: unknown[] } }).items?.data ?? [];
      items.set(
        `${s.id}\u0000${keyString(key)}`,
        s.items.data.map((it, i) => ({
          id: it.id,
          subscription_id: s.id,
          price_id: snap.items[i]?.priceId ?? null,
          quantity: it.quantity ?? null,
          ps: it.current_period_start ?? snap.currentPeriodStart,
          pe: it.current_period_end ?? snap.currentPeriodEnd,
          raw: rawItems[i] ?? {},
        })),
      );
      // Every version is kept, even one older than the current state: it shapes MRR history.
      versions.push({ subscription_id: s.id, key, snapshot: snap });
      for (const d of [s.discount, ...(s.discounts ?? [])]) {
        if (d && typeof d === 'object') {
          const withSub = { ...d, subscription: d.subscription ?? s.id };
          push(
            'stripe_discounts',
            discountRow(withSub, d, false),
            keyFor(options, lifecycleRank('discount', null)),
            -1,
          );
        }
      }
      return s.id;
    }
    case 'invoice': {
      const inv = parsed.value;
      const subscriptionId = inv.subscription ?? inv.parent?.subscription_details?.subscription ?? null;
      const key = keyFor(options, lifecycleRank('invoice', inv.status ?? null, { deleted }));
      push(
        'stripe_invoices',
        {
          id: inv.id,
          customer_id: inv.customer ?? null,
          subscription_id: subscriptionId,
          status: inv.status ?? null,
          currency: inv.currency.toLowerCase(),
          amount_due: inv.amount_due,
          amount_paid: inv.amount_paid,
          amount_remaining: inv.amount_remaining,
          subtotal: inv.subtotal ?? null,
          total: inv.total ?? null,
          billing_reason: inv.billing_reason ?? null,
          period_start: iso(inv.period_start),
          period_end: iso(inv.period_end),
          paid_at: iso(inv.status_transitions?.paid_at),
          payment_intent_id: inv.payment_intent ?? null,
          attempt_count: inv.attempt_count ?? null,
          created_at: iso(inv.created),
          metadata: inv.metadata ?? {},
          raw,
        },
        key,
      );
      if (inv.lines) {
        lines.set(
          `${inv.id}\u0000${keyString(key)}`,
          inv.lines.data.map((l) => ({
            invoice_id: inv.id,
            id: l.id,
            amount: l.amount,
            currency: l.currency.toLowerCase(),
            description: l.description ?? null,
            price_id: l.price?.id ?? l.pricing?.price_details?.price ?? null,
            quantity: l.quantity ?? null,
            proration: l.proration ?? l.parent?.subscription_item_details?.proration ?? false,
            subscription_id:
              l.subscription ?? l.parent?.subscription_item_details?.subscription ?? subscriptionId,
            subscription_item_id:
              l.subscription_item ?? l.parent?.subscription_item_details?.subscription_item ?? null,
            ps: l.period?.start ?? null,
            pe: l.period?.end ?? null,
          })),
        );
      }
      return inv.id;
    }
    case 'payment_intent': {
      const pi = parsed.value;
      const key = keyFor(options, lifecycleRank('payment_intent', pi.status));
      push(
        'stripe_payment_intents',
        {
          id: pi.id,
          customer_id: pi.customer ?? null,
          invoice_id: pi.invoice ?? null,
          amount: pi.amount,
          amount_received: pi.amount_received ?? 0,
          currency: pi.currency.toLowerCase(),
          status: pi.status,
          description: pi.description ?? null,
          last_error: pi.last_payment_error?.message ?? pi.last_payment_error?.code ?? null,
          created_at: iso(pi.created),
          succeeded_at: pi.status === 'succeeded' ? new Date(key.at * 1000).toISOString() : null,
          metadata: pi.metadata ?? {},
          raw,
        },
        key,
      );
      return pi.id;
    }
    case 'charge': {
      const ch = parsed.value;
      push(
        'stripe_charges',
        {
          id: ch.id,
          payment_intent_id: ch.payment_intent ?? null,
          customer_id: ch.customer ?? null,
          invoice_id: ch.invoice ?? null,
          amount: ch.amount,
          amount_captured: ch.amount_captured ?? 0,
          amount_refunded: ch.amount_refunded ?? 0,
          currency: ch.currency.toLowerCase(),
          status: ch.status,
          paid: ch.paid ?? false,
          refunded: ch.refunded ?? false,
          disputed: ch.disputed ?? false,
          failure_code: ch.failure_code ?? null,
          created_at: iso(ch.created),
          metadata: ch.metadata ?? {},
          raw,
        },
        keyFor(options, lifecycleRank('charge', ch.status, { amountRefunded: ch.amount_refunded ?? 0 })),
      );
      for (const r of ch.refunds?.data ?? []) {
        collect(
          {
            kind: 'refund',
            value: {
              ...r,
              charge: r.charge ?? ch.id,
              payment_intent: r.payment_intent ?? ch.payment_intent ?? null,
            },
          },
          r,
          { ...options, deleted: false },
          -1,
          writes,
          versions,
          items,
          lines,
          customerDiscounts,
        );
      }
      return ch.id;
    }
    case 'refund': {
      const r = parsed.value;
      push(
        'stripe_refunds',
        {
          id: r.id,
          charge_id: r.charge ?? null,
          payment_intent_id: r.payment_intent ?? null,
          amount: r.amount,
          currency: r.currency.toLowerCase(),
          status: r.status ?? null,
          reason: r.reason ?? null,
          created_at: iso(r.created),
          metadata: r.metadata ?? {},
          raw,
        },
        keyFor(options, lifecycleRank('refund', r.status ?? null)),
      );
      return r.id;
    }
    case 'dispute': {
      const d = parsed.value;
      push(
        'stripe_disputes',
        {
          id: d.id,
          charge_id: d.charge ?? null,
          payment_intent_id: d.payment_intent ?? null,
          amount: d.amount,
          currency: d.currency.toLowerCase(),
          status: d.status,
          reason: d.reason ?? null,
          created_at: iso(d.created),
          raw,
        },
        keyFor(options, lifecycleRank('dispute', d.status)),
      );
      return d.id;
    }
    case 'checkout.session': {
      const cs = parsed.value;
      push(
        'stripe_checkout_sessions',
        {
          id: cs.id,
          customer_id: cs.customer ?? null,
          mode: cs.mode ?? null,
          status: cs.status ?? null,
          payment_status: cs.payment_status ?? null,
          amount_total: cs.amount_total ?? null,
          currency: cs.currency?.toLowerCase() ?? null,
          subscription_id: cs.subscription ?? null,
          payment_intent_id: cs.payment_intent ?? null,
          client_reference_id: cs.client_reference_id ?? null,
          created_at: iso(cs.created),
          metadata: cs.metadata ?? {},
          raw,
        },
        keyFor(
          options,
          lifecycleRank('checkout.session', cs.status ?? null, { paid: cs.payment_status === 'paid' }),
        ),
      );
      return cs.id;
    }
  }
}

/** Tables in write order (coupons before discounts before subscriptions' recompute). */
const tableOrder: TableSpec[] = [
  { table: 'stripe_customers' },
  { table: 'stripe_products' },
  { table: 'stripe_prices' },
  { table: 'stripe_coupons' },
  { table: 'stripe_discounts' },
  { table: 'stripe_subscriptions' },
  { table: 'stripe_invoices' },
  // The earliest time a payment intent was seen succeeded, whatever order the events came in.
  {
    table: 'stripe_payment_intents',
    always: { succeeded_at: 'least(t.succeeded_at, excluded.succeeded_at)' },
  },
  { table: 'stripe_charges' },
  { table: 'stripe_refunds' },
  { table: 'stripe_disputes' },
  { table: 'stripe_checkout_sessions' },
];

/**
 * Upserts many Stripe objects (any mirrored kinds, any order, duplicates allowed) through the
 * ordering guard with one statement per table, then recomputes the MRR of every subscription
 * whose versions, discounts or coupons changed. Results are per input, in input order; an input
 * that fails validation gets its error and is not written. Database errors throw.
 */
export async function applyStripeObjects(
  db: Queryable,
  inputs: ApplyInput[],
): Promise<Result<ApplyResult, LedgerError>[]> {
  const results: (Result<ApplyResult, LedgerError> | undefined)[] = new Array(inputs.length);
  const kinds: ParsedObject['kind'][] = new Array(inputs.length);
  const ids: string[] = new Array(inputs.length);
  const writes: Writes = {};
  const versions: { subscription_id: string; key: VersionKey; snapshot: unknown }[] = [];
  const items = new Map<string, unknown[]>();
  const lines = new Map<string, unknown[]>();
  const customerDiscounts: CustomerDiscountWrite[] = [];
  inputs.forEach((input, i) => {
    const parsed = parseStripeObject(input.object);
    if (!parsed.ok) {
      results[i] = err(parsed.error);
      return;
    }
    kinds[i] = parsed.value.kind;
    ids[i] = collect(
      parsed.value,
      input.object,
      input.options,
      i,
      writes,
      versions,
      items,
      lines,
      customerDiscounts,
    );
  });
  const outcomes = new Map<number, ApplyOutcome>();
  const appliedKeys = new Map<string, Set<string>>(); // table -> "id key" of rows written
  const recompute = new Set<string>(versions.map((v) => v.subscription_id));
  const locked = new Set<string>([
    ...recompute,
    ...(writes.stripe_discounts ?? []).map((w) => w.row.subscription_id as string).filter(Boolean),
  ]);
  // A subscription's recompute reads its customer's discounts, and a customer discount recomputes
  // the customer's subscriptions: both take the customer's lock first.
  const lockedCustomers = [
    ...versions.map((v) => (v.snapshot as SubscriptionSnapshot).customerId),
    ...customerDiscounts.map((d) => d.customer_id),
  ];
  await lockCustomersAndSubscriptions(db, lockedCustomers, [...locked]);
  for (const spec of tableOrder) {
    const bucket = spec.bucket ?? spec.table;
    const list = writes[bucket];
    if (!list?.length) continue;
    const merge =
      spec.table === 'stripe_payment_intents'
        ? (winner: RowWrite, all: RowWrite[]) => {
            const times = all
              .map((w) => w.row.succeeded_at as string | null)
              .filter((x): x is string => x !== null)
              .sort();
            winner.row = { ...winner.row, succeeded_at: times[0] ?? null };
          }
        : undefined;
    const result = await upsertMany(db, spec, list, merge);
    const applied = new Set<string>();
    for (const [w, outcome] of result) {
      if (w.source >= 0) outcomes.set(w.source, outcome);
      if (outcome !== 'skipped') applied.add(`${w.row.id as string}\u0000${keyString(w.key)}`);
    }
    if (!spec.bucket) appliedKeys.set(spec.table, applied);
    // Only coupon events change terms of existing discounts; embedded copies are insert-only.
    if (bucket === 'stripe_coupons' && applied.size) {
      const couponIds = [...applied].map((k) => k.split('\u0000')[0]!);
      const subs = await prepared<{ subscription_id: string }>(
        db,
        `select subscription_id from public.stripe_discounts where coupon_id = any($1) and subscription_id is not null
         union
         select s.id from public.stripe_customer_discount_versions v join public.stripe_subscriptions s on s.customer_id = v.customer_id
         where v.snapshot->>'couponId' = any($1)`,
        [couponIds],
      );
      for (const s of subs.rows) recompute.add(s.subscription_id);
    }
    if (spec.table === 'stripe_discounts') {
      for (const w of list)
        if (applied.has(`${w.row.id as string}\u0000${keyString(w.key)}`) && w.row.subscription_id)
          recompute.add(w.row.subscription_id as string);
    }
  }
  // Subscription items and invoice lines follow the row version that won.
  const itemRows = [...items.entries()]
    .filter(([k]) => appliedKeys.get('stripe_subscriptions')?.has(k))
    .flatMap(([, v]) => v);
  if (itemRows.length) {
    const subIds = [...new Set(itemRows.map((r) => (r as { subscription_id: string }).subscription_id))];
    await prepared(
      db,
      `with new as (select * from jsonb_to_recordset($2::jsonb) as x(id text, subscription_id text, price_id text, quantity bigint, ps bigint, pe bigint, raw jsonb)),
       gone as (delete from public.stripe_subscription_items i where i.subscription_id = any($1) and i.id not in (select id from new))
       insert into public.stripe_subscription_items (id, subscription_id, price_id, quantity, current_period_start, current_period_end, raw)
       select x.id, x.subscription_id, x.price_id, x.quantity, to_timestamp(x.ps), to_timestamp(x.pe), x.raw from new x
       on conflict (id) do update set subscription_id = excluded.subscription_id, price_id = excluded.price_id, quantity = excluded.quantity,
         current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end, raw = excluded.raw`,
      [subIds, JSON.stringify(itemRows)],
    );
  }
  const lineRows = [...lines.entries()]
    .filter(([k]) => appliedKeys.get('stripe_invoices')?.has(k))
    .flatMap(([, v]) => v);
  if (lineRows.length) {
    const invoiceIds = [...new Set(lineRows.map((r) => (r as { invoice_id: string }).invoice_id))];
    await prepared(
      db,
      `with new as (
         select * from jsonb_to_recordset($2::jsonb) as x(invoice_id text, id text, amount bigint, currency text, description text, price_id text, quantity bigint, proration boolean, subscription_id text, subscription_item_id text, ps bigint, pe bigint)
       ), gone as (
         delete from public.stripe_invoice_lines l where l.invoice_id = any($1) and not exists (select 1 from new n where n.invoice_id = l.invoice_id and n.id = l.id)
       )
       insert into public.stripe_invoice_lines (invoice_id, id, amount, currency, description, price_id, quantity, proration, subscription_id, subscription_item_id, period_start, period_end)
       select x.invoice_id, x.id, x.amount, x.currency, x.description, x.price_id, x.quantity, x.proration, x.subscription_id, x.subscription_item_id, to_timestamp(x.ps), to_timestamp(x.pe)
       from new x
       on conflict (invoice_id, id) do update set amount = excluded.amount, currency = excluded.currency, description = excluded.description, price_id = excluded.price_id,
         quantity = excluded.quantity, proration = excluded.proration, subscription_id = excluded.subscription_id, subscription_item_id = excluded.subscription_item_id,
         period_start = excluded.period_start, period_end = excluded.period_end`,
      [invoiceIds, JSON.stringify(lineRows)],
    );
  }
  if (versions.length) {
    await prepared(
      db,
      `insert into public.stripe_subscription_versions (subscription_id, src_at, src_rank, src_event, snapshot)
       select x.subscription_id, to_timestamp(x.at), x.rank, x.event, x.snapshot
       from jsonb_to_recordset($1::jsonb) as x(subscription_id text, at bigint, rank bigint, event text, snapshot jsonb)
       on conflict do nothing`,
      [
        JSON.stringify(
          versions.map((v) => ({
            subscription_id: v.subscription_id,
            at: v.key.at,
            rank: v.key.rank,
            event: v.key.eventId,
            snapshot: v.snapshot,
          })),
        ),
      ],
    );
  }
  if (customerDiscounts.length) {
    const inserted = await prepared<{ customer_id: string }>(
      db,
      `insert into public.stripe_customer_discount_versions (customer_id, discount_id, src_at, src_rank, src_event, deleted, snapshot)
       select x.customer_id, x.discount_id, to_timestamp(x.at), x.rank, x.event, x.deleted, x.snapshot
       from jsonb_to_recordset($1::jsonb) as x(customer_id text, discount_id text, at bigint, rank bigint, event text, deleted boolean, snapshot jsonb)
       on conflict do nothing
       returning customer_id`,
      [
        JSON.stringify(
          customerDiscounts.map((d) => ({
            customer_id: d.customer_id,
            discount_id: d.discount_id,
            at: d.key.at,
            rank: d.key.rank,
            event: d.key.eventId,
            deleted: d.deleted,
            snapshot: d.snapshot,
          })),
        ),
      ],
    );
    const changed = [...new Set(inserted.rows.map((r) => r.customer_id))];
    if (changed.length) {
      const subs = await prepared<{ id: string }>(
        db,
        'select id from public.stripe_subscriptions where customer_id = any($1)',
        [changed],
      );
      for (const s of subs.rows) recompute.add(s.id);
    }
  }
  if (recompute.size) {
    // Subscriptions reached only through a coupon or a customer discount were not locked up front.
    await lockSubscriptions(
      db,
      [...recompute].filter((id) => !locked.has(id)),
    );
    await recomputeSubscriptionsMrr(db, [...recompute], { locked: true });
  }
  return inputs.map(
    (_, i) => results[i] ?? ok({ kind: kinds[i]!, id: ids[i]!, outcome: outcomes.get(i) ?? 'skipped' }),
  );
}

/**
 * Upserts one Stripe object (any mirrored kind) into the ledger through the ordering guard.
 * The same code serves webhook processing and backfills. Returns a clear error for objects that
 * fail validation or are not mirrored; database errors throw.
 */
export async function applyStripeObject(
  db: Queryable,
  object: unknown,
  options: ApplyOptions,
): Promise<Result<ApplyResult, LedgerError>> {
  return (await applyStripeObjects(db, [{ object, options }]))[0]!;
}
