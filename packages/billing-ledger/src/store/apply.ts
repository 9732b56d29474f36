import type pg from 'pg';
import { statementName } from '../queue.ts';
import { err, ok, type Result, type LedgerError } from '../errors.ts';
import { type SubscriptionVersion, subscriptionIntervals, type SubscriptionSnapshot } from '../pure/mrr.ts';
import { lifecycleRank, type VersionKey } from '../pure/ordering.ts';
import { discountSnapshot, type ParsedObject, parseStripeObject, subscriptionSnapshot } from '../stripe/parse.ts';

/**
 * The one mapping from Stripe objects to the mirror tables, shared by webhook processing and by
 * backfills. Every write is guarded by the object's version key (see pure/ordering.ts), so the
 * same object applied twice, or an older state applied after a newer one, changes nothing.
 */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Runs a fixed SQL text as a named prepared statement (planned once per connection). */
export function prepared<R extends pg.QueryResultRow = pg.QueryResultRow>(db: Queryable, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name: statementName(text), text, values });
}

export interface ApplyOptions {
  /** When the state was true: the event's `created`, or the observation time for a backfill. */
  observedAt: Date;
  /** The Stripe event id the object came from; omit (or '') for a backfill. */
  sourceEventId?: string | null;
  /** The object was deleted (a `*.deleted` event). */
  deleted?: boolean;
  /** Internal: a discount applied as part of its subscription skips the (later) recompute. */
  skipRecompute?: boolean;
}

export type ApplyOutcome = 'inserted' | 'updated' | 'skipped';

export interface ApplyResult {
  kind: ParsedObject['kind'];
  id: string;
  outcome: ApplyOutcome;
}

const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const toDate = (s: number | null | undefined) => (s === null || s === undefined ? null : new Date(s * 1000));
const json = (v: unknown) => JSON.stringify(v ?? {});

/**
 * insert ... on conflict (id) do update, only when the new version key is greater. `always` maps
 * columns that merge regardless of the guard (an order-independent expression such as a least());
 * with it, every conflict updates and columns take the new value only when the key is greater.
 */
async function guardedUpsert(
  db: Queryable,
  table: string,
  row: Record<string, unknown>,
  key: VersionKey,
  jsonColumns: string[] = [],
  always: Record<string, string> = {},
): Promise<ApplyOutcome> {
  const cols = [...Object.keys(row), 'src_at', 'src_rank', 'src_event'];
  const values = [...Object.values(row), new Date(key.at * 1000), key.rank, key.eventId];
  const placeholders = cols.map((c, i) => (jsonColumns.includes(c) || c === 'raw' ? `$${i + 1}::jsonb` : `$${i + 1}`));
  const newer = '(t.src_at, t.src_rank, t.src_event) < (excluded.src_at, excluded.src_rank, excluded.src_event)';
  const merged = Object.keys(always).length > 0;
  const updates = cols
    .filter((c) => c !== 'id')
    .map((c) => (always[c] ? `${c} = ${always[c]}` : merged ? `${c} = case when ${newer} then excluded.${c} else t.${c} end` : `${c} = excluded.${c}`));
  const sql = `insert into public.${table} as t (${cols.join(', ')}) values (${placeholders.join(', ')})
    on conflict (id) do update set ${updates.join(', ')}, updated_at = ${merged ? `case when ${newer} then now() else t.updated_at end` : 'now()'}
    ${merged ? '' : `where ${newer}`}
    returning (xmax = 0) as inserted, src_at, src_rank, src_event`;
  const r = await prepared<{ inserted: boolean; src_at: Date; src_rank: number; src_event: string }>(db, sql, values);
  const out = r.rows[0];
  if (!out) return 'skipped';
  if (out.inserted) return 'inserted';
  const mine = out.src_at.getTime() === key.at * 1000 && Number(out.src_rank) === key.rank && out.src_event === key.eventId;
  return mine ? 'updated' : 'skipped';
}

function keyFor(options: ApplyOptions, rank: number): VersionKey {
  return { at: sec(options.observedAt), rank, eventId: options.sourceEventId ?? '' };
}

/** Serialises MRR recomputation of one subscription across concurrent workers. */
async function lockSubscription(db: Queryable, id: string): Promise<void> {
  await prepared(db, `select pg_advisory_xact_lock(hashtextextended('billing-ledger:sub:' || $1, 0))`, [id]);
}

type StoredSnapshot = SubscriptionSnapshot & { discountIds?: string[]; discounts: (SubscriptionSnapshot['discounts'][number] & { couponId?: string | null })[] };

/**
 * Rebuilds billing_mrr_intervals of one subscription from all its applied versions, resolving
 * discounts given only by id (or coupons given only by id) from the mirror. Call inside the
 * transaction that changed the subscription, a discount or a coupon.
 */
export async function recomputeSubscriptionMrr(db: Queryable, subscriptionId: string, options: { locked?: boolean } = {}): Promise<number> {
  if (!options.locked) await lockSubscription(db, subscriptionId);
  const { rows } = await prepared<{ at: number; rank: number; event: string; snapshot: StoredSnapshot }>(db,
    `select extract(epoch from src_at)::bigint as at, src_rank as rank, src_event as event, snapshot
     from public.stripe_subscription_versions where subscription_id = $1`,
    [subscriptionId],
  );
  const discountIds = new Set<string>();
  const couponIds = new Set<string>();
  for (const r of rows) {
    for (const id of r.snapshot.discountIds ?? []) discountIds.add(id);
    for (const d of r.snapshot.discounts) if (d.couponId && d.percentOff === null && d.amountOff === null) couponIds.add(d.couponId);
  }
  const discounts = new Map<string, StoredSnapshot['discounts'][number]>();
  if (discountIds.size) {
    const d = await prepared(db,
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
        start: r.start_s,
        end: r.end_s,
      });
      if (r.coupon_id && r.percent_off === null && r.amount_off === null) couponIds.add(r.coupon_id);
    }
  }
  const coupons = new Map<string, { percentOff: number | null; amountOff: number | null; currency: string | null; duration: 'forever' | 'once' | 'repeating' }>();
  if (couponIds.size) {
    const c = await prepared(db, `select id, percent_off::float8 as percent_off, amount_off, currency, duration from public.stripe_coupons where id = any($1)`, [[...couponIds]]);
    for (const r of c.rows) coupons.set(r.id, { percentOff: r.percent_off, amountOff: r.amount_off, currency: r.currency, duration: r.duration });
  }
  const versions: SubscriptionVersion[] = rows.map((r) => {
    const resolved = [...r.snapshot.discounts, ...(r.snapshot.discountIds ?? []).map((id) => discounts.get(id)).filter((d) => d !== undefined)].map((d) => {
      const c = d.couponId && d.percentOff === null && d.amountOff === null ? coupons.get(d.couponId) : undefined;
      return c ? { ...d, ...c } : d;
    });
    return { at: Number(r.at), rank: Number(r.rank), eventId: r.event, snapshot: { ...r.snapshot, discounts: resolved } };
  });
  const intervals = subscriptionIntervals(versions);
  // Replace the subscription's intervals in one statement: upsert the new set, delete the rest.
  await prepared(db,
    `with new as (
       select x.item_id, x.customer_id, x.currency, to_timestamp(x.valid_from) as valid_from, to_timestamp(x.valid_to) as valid_to, x.mrr
       from jsonb_to_recordset($2::jsonb) as x(item_id text, customer_id text, currency text, valid_from bigint, valid_to bigint, mrr bigint)
     ), gone as (
       delete from public.billing_mrr_intervals i where i.subscription_id = $1
         and not exists (select 1 from new n where n.item_id = i.item_id and n.valid_from = i.valid_from)
     )
     insert into public.billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr)
     select $1, item_id, customer_id, currency, valid_from, valid_to, mrr from new
     on conflict (subscription_id, item_id, valid_from) do update set customer_id = excluded.customer_id, currency = excluded.currency, valid_to = excluded.valid_to, mrr = excluded.mrr
     where (billing_mrr_intervals.customer_id, billing_mrr_intervals.currency, billing_mrr_intervals.valid_to, billing_mrr_intervals.mrr)
       is distinct from (excluded.customer_id, excluded.currency, excluded.valid_to, excluded.mrr)`,
    [
      subscriptionId,
      JSON.stringify(
        intervals.map((i) => ({ item_id: i.itemId, customer_id: i.customerId, currency: i.currency, valid_from: i.validFrom, valid_to: i.validTo, mrr: i.mrr })),
      ),
    ],
  );
  return intervals.length;
}

async function applyParsed(db: Queryable, parsed: ParsedObject, raw: unknown, options: ApplyOptions): Promise<ApplyResult> {
  const deleted = options.deleted ?? false;
  switch (parsed.kind) {
    case 'customer': {
      const c = parsed.value;
      const del = deleted || c.deleted === true;
      const outcome = await guardedUpsert(
        db,
        'stripe_customers',
        { id: c.id, email: c.email ?? null, name: c.name ?? null, currency: c.currency ?? null, deleted: del, created_at: toDate(c.created), metadata: json(c.metadata), raw: json(raw) },
        keyFor(options, lifecycleRank('customer', null, { deleted: del })),
        ['metadata'],
      );
      return { kind: 'customer', id: c.id, outcome };
    }
    case 'product': {
      const p = parsed.value;
      const del = deleted || p.deleted === true;
      const outcome = await guardedUpsert(
        db,
        'stripe_products',
        { id: p.id, name: p.name ?? null, active: p.active ?? null, deleted: del, created_at: toDate(p.created), metadata: json(p.metadata), raw: json(raw) },
        keyFor(options, lifecycleRank('product', null, { deleted: del })),
        ['metadata'],
      );
      return { kind: 'product', id: p.id, outcome };
    }
    case 'price': {
      const p = parsed.value;
      const outcome = await guardedUpsert(
        db,
        'stripe_prices',
        {
          id: p.id,
          product_id: p.product ?? null,
          currency: p.currency.toLowerCase(),
          unit_amount: p.unit_amount ?? null,
          type: p.type ?? null,
          billing_scheme: p.billing_scheme ?? null,
          tiers_mode: p.tiers_mode ?? null,
          tiers: p.tiers ? JSON.stringify(p.tiers) : null,
          recurring_interval: p.recurring?.interval ?? null,
          recurring_interval_count: p.recurring?.interval_count ?? null,
          usage_type: p.recurring?.usage_type ?? null,
          active: p.active ?? null,
          deleted,
          nickname: p.nickname ?? null,
          lookup_key: p.lookup_key ?? null,
          created_at: toDate(p.created),
          metadata: json(p.metadata),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('price', null, { deleted })),
        ['metadata', 'tiers'],
      );
      return { kind: 'price', id: p.id, outcome };
    }
    case 'coupon': {
      const c = parsed.value;
      const outcome = await guardedUpsert(
        db,
        'stripe_coupons',
        {
          id: c.id,
          percent_off: c.percent_off ?? null,
          amount_off: c.amount_off ?? null,
          currency: c.currency ?? null,
          duration: c.duration,
          duration_in_months: c.duration_in_months ?? null,
          deleted,
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('coupon', null, { deleted })),
      );
      if (outcome !== 'skipped') {
        const subs = await db.query<{ subscription_id: string }>(
          'select distinct subscription_id from public.stripe_discounts where coupon_id = $1 and subscription_id is not null order by 1',
          [c.id],
        );
        for (const s of subs.rows) await recomputeSubscriptionMrr(db, s.subscription_id);
      }
      return { kind: 'coupon', id: c.id, outcome };
    }
    case 'discount': {
      const d = parsed.value;
      const snap = discountSnapshot(d);
      const id = d.id ?? `${d.subscription ?? d.customer ?? 'unknown'}:${snap.couponId ?? 'coupon'}`;
      const coupon = d.coupon ?? d.source?.coupon ?? null;
      if (coupon !== null && typeof coupon === 'object') {
        await applyParsed(db, { kind: 'coupon', value: coupon }, coupon, { ...options, deleted: false });
      }
      const outcome = await guardedUpsert(
        db,
        'stripe_discounts',
        {
          id,
          customer_id: d.customer ?? null,
          subscription_id: d.subscription ?? null,
          coupon_id: snap.couponId,
          percent_off: snap.percentOff,
          amount_off: snap.amountOff,
          currency: snap.currency,
          duration: coupon !== null && typeof coupon === 'object' ? coupon.duration : null,
          start_at: toDate(d.start),
          end_at: toDate(d.end),
          deleted,
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('discount', null, { deleted })),
      );
      if (outcome !== 'skipped' && d.subscription && !options.skipRecompute) await recomputeSubscriptionMrr(db, d.subscription);
      return { kind: 'discount', id, outcome };
    }
    case 'subscription': {
      const s = parsed.value;
      const snap = subscriptionSnapshot(s);
      const key = keyFor(options, lifecycleRank('subscription', s.status));
      await lockSubscription(db, s.id);
      const outcome = await guardedUpsert(
        db,
        'stripe_subscriptions',
        {
          id: s.id,
          customer_id: s.customer,
          status: s.status,
          currency: snap.currency,
          start_date: toDate(snap.startDate),
          created_at: toDate(snap.created),
          trial_start: toDate(snap.trialStart),
          trial_end: toDate(snap.trialEnd),
          current_period_start: toDate(snap.currentPeriodStart),
          current_period_end: toDate(snap.currentPeriodEnd),
          cancel_at_period_end: snap.cancelAtPeriodEnd,
          cancel_at: toDate(snap.cancelAt),
          canceled_at: toDate(snap.canceledAt),
          ended_at: toDate(snap.endedAt),
          metadata: json(s.metadata),
          raw: json(raw),
        },
        key,
        ['metadata'],
      );
      if (outcome !== 'skipped') {
        await prepared(db,
          `with new as (select * from jsonb_to_recordset($2::jsonb) as x(id text, price_id text, quantity bigint, ps bigint, pe bigint, raw jsonb)),
           gone as (delete from public.stripe_subscription_items i where i.subscription_id = $1 and i.id not in (select id from new))
           insert into public.stripe_subscription_items (id, subscription_id, price_id, quantity, current_period_start, current_period_end, raw)
           select x.id, $1, x.price_id, x.quantity, to_timestamp(x.ps), to_timestamp(x.pe), x.raw from new x
           on conflict (id) do update set subscription_id = excluded.subscription_id, price_id = excluded.price_id, quantity = excluded.quantity,
             current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end, raw = excluded.raw`,
          [
            s.id,
            JSON.stringify(
              s.items.data.map((it, i) => ({
                id: it.id,
                price_id: snap.items[i]?.priceId ?? null,
                quantity: it.quantity ?? null,
                ps: it.current_period_start ?? snap.currentPeriodStart,
                pe: it.current_period_end ?? snap.currentPeriodEnd,
                raw: ((raw as { items?: { data?: unknown[] } }).items?.data ?? [])[i] ?? {},
              })),
            ),
          ],
        );
      }
      // Every version is kept, even one older than the current state: it shapes MRR history.
      await prepared(db,
        `insert into public.stripe_subscription_versions (subscription_id, src_at, src_rank, src_event, snapshot)
         values ($1, $2, $3, $4, $5::jsonb) on conflict do nothing`,
        [s.id, new Date(key.at * 1000), key.rank, key.eventId, JSON.stringify(snap)],
      );
      for (const d of [s.discount, ...(s.discounts ?? [])]) {
        if (d && typeof d === 'object') await applyParsed(db, { kind: 'discount', value: { ...d, subscription: d.subscription ?? s.id } }, d, { ...options, deleted: false, skipRecompute: true });
      }
      await recomputeSubscriptionMrr(db, s.id, { locked: true });
      return { kind: 'subscription', id: s.id, outcome };
    }
    case 'invoice': {
      const inv = parsed.value;
      const subscriptionId = inv.subscription ?? inv.parent?.subscription_details?.subscription ?? null;
      const outcome = await guardedUpsert(
        db,
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
          period_start: toDate(inv.period_start),
          period_end: toDate(inv.period_end),
          paid_at: toDate(inv.status_transitions?.paid_at),
          payment_intent_id: inv.payment_intent ?? null,
          attempt_count: inv.attempt_count ?? null,
          created_at: toDate(inv.created),
          metadata: json(inv.metadata),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('invoice', inv.status ?? null, { deleted })),
        ['metadata'],
      );
      if (outcome !== 'skipped' && inv.lines) {
        await prepared(db,
          `with new as (
             select * from jsonb_to_recordset($2::jsonb) as x(id text, amount bigint, currency text, description text, price_id text, quantity bigint, proration boolean, subscription_id text, subscription_item_id text, ps bigint, pe bigint)
           ), gone as (
             delete from public.stripe_invoice_lines l where l.invoice_id = $1 and l.id not in (select id from new)
           )
           insert into public.stripe_invoice_lines (invoice_id, id, amount, currency, description, price_id, quantity, proration, subscription_id, subscription_item_id, period_start, period_end)
           select $1, x.id, x.amount, x.currency, x.description, x.price_id, x.quantity, x.proration, x.subscription_id, x.subscription_item_id, to_timestamp(x.ps), to_timestamp(x.pe)
           from new x
           on conflict (invoice_id, id) do update set amount = excluded.amount, currency = excluded.currency, description = excluded.description, price_id = excluded.price_id,
             quantity = excluded.quantity, proration = excluded.proration, subscription_id = excluded.subscription_id, subscription_item_id = excluded.subscription_item_id,
             period_start = excluded.period_start, period_end = excluded.period_end`,
          [
            inv.id,
            JSON.stringify(
              inv.lines.data.map((l) => ({
                id: l.id,
                amount: l.amount,
                currency: l.currency.toLowerCase(),
                description: l.description ?? null,
                price_id: l.price?.id ?? l.pricing?.price_details?.price ?? null,
                quantity: l.quantity ?? null,
                proration: l.proration ?? l.parent?.subscription_item_details?.proration ?? false,
                subscription_id: l.subscription ?? l.parent?.subscription_item_details?.subscription ?? subscriptionId,
                subscription_item_id: l.subscription_item ?? l.parent?.subscription_item_details?.subscription_item ?? null,
                ps: l.period?.start ?? null,
                pe: l.period?.end ?? null,
              })),
            ),
          ],
        );
      }
      return { kind: 'invoice', id: inv.id, outcome };
    }
    case 'payment_intent': {
      const pi = parsed.value;
      const key = keyFor(options, lifecycleRank('payment_intent', pi.status));
      const outcome = await guardedUpsert(
        db,
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
          created_at: toDate(pi.created),
          succeeded_at: pi.status === 'succeeded' ? new Date(key.at * 1000) : null,
          metadata: json(pi.metadata),
          raw: json(raw),
        },
        key,
        ['metadata'],
        // The earliest time it was seen succeeded, whatever order the events came in.
        { succeeded_at: 'least(t.succeeded_at, excluded.succeeded_at)' },
      );
      return { kind: 'payment_intent', id: pi.id, outcome };
    }
    case 'charge': {
      const ch = parsed.value;
      const outcome = await guardedUpsert(
        db,
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
          created_at: toDate(ch.created),
          metadata: json(ch.metadata),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('charge', ch.status, { amountRefunded: ch.amount_refunded ?? 0 })),
        ['metadata'],
      );
      for (const r of ch.refunds?.data ?? []) {
        await applyParsed(db, { kind: 'refund', value: { ...r, charge: r.charge ?? ch.id, payment_intent: r.payment_intent ?? ch.payment_intent ?? null } }, r, { ...options, deleted: false });
      }
      return { kind: 'charge', id: ch.id, outcome };
    }
    case 'refund': {
      const r = parsed.value;
      const outcome = await guardedUpsert(
        db,
        'stripe_refunds',
        {
          id: r.id,
          charge_id: r.charge ?? null,
          payment_intent_id: r.payment_intent ?? null,
          amount: r.amount,
          currency: r.currency.toLowerCase(),
          status: r.status ?? null,
          reason: r.reason ?? null,
          created_at: toDate(r.created),
          metadata: json(r.metadata),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('refund', r.status ?? null)),
        ['metadata'],
      );
      return { kind: 'refund', id: r.id, outcome };
    }
    case 'dispute': {
      const d = parsed.value;
      const outcome = await guardedUpsert(
        db,
        'stripe_disputes',
        {
          id: d.id,
          charge_id: d.charge ?? null,
          payment_intent_id: d.payment_intent ?? null,
          amount: d.amount,
          currency: d.currency.toLowerCase(),
          status: d.status,
          reason: d.reason ?? null,
          created_at: toDate(d.created),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('dispute', d.status)),
      );
      return { kind: 'dispute', id: d.id, outcome };
    }
    case 'checkout.session': {
      const cs = parsed.value;
      const outcome = await guardedUpsert(
        db,
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
          created_at: toDate(cs.created),
          metadata: json(cs.metadata),
          raw: json(raw),
        },
        keyFor(options, lifecycleRank('checkout.session', cs.status ?? null, { paid: cs.payment_status === 'paid' })),
        ['metadata'],
      );
      return { kind: 'checkout.session', id: cs.id, outcome };
    }
  }
}

/**
 * Upserts one Stripe object (any mirrored kind) into the ledger through the ordering guard.
 * The same function serves webhook processing and backfills. Returns a clear error for objects
 * that fail validation or are not mirrored; database errors throw.
 */
export async function applyStripeObject(db: Queryable, object: unknown, options: ApplyOptions): Promise<Result<ApplyResult, LedgerError>> {
  const parsed = parseStripeObject(object);
  if (!parsed.ok) return err(parsed.error);
  return ok(await applyParsed(db, parsed.value, object, options));
}
