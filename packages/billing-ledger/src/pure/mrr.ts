import {
  monthlyFactor,
  normaliseToMonthly,
  parseDecimalAmount,
  type Ratio,
  type RecurringInterval,
  roundHalfUp,
} from './money.ts';

/**
 * MRR normalisation (METRICS.md, "MRR of a subscription item"): pure functions over normalised
 * subscription snapshots. Times are epoch seconds; money is integer minor units.
 */

export interface PriceTier {
  upTo: number | null;
  unitAmount: number | null;
  flatAmount: number | null;
}

export interface ItemSnapshot {
  id: string;
  priceId: string | null;
  quantity: number;
  currency: string;
  unitAmount: number | null;
  unitAmountDecimal: string | null;
  interval: RecurringInterval | null;
  intervalCount: number;
  usageType: 'licensed' | 'metered';
  billingScheme: 'per_unit' | 'tiered';
  tiersMode: 'graduated' | 'volume' | null;
  tiers: PriceTier[] | null;
  transformQuantity: { divideBy: number; round: 'up' | 'down' } | null;
}

export interface DiscountSnapshot {
  id: string | null;
  percentOff: number | null;
  amountOff: number | null;
  currency: string | null;
  duration: 'forever' | 'once' | 'repeating';
  /** Discount start/end (epoch seconds); end null = forever. */
  start: number | null;
  end: number | null;
}

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  currency: string | null;
  created: number | null;
  startDate: number | null;
  trialStart: number | null;
  trialEnd: number | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: number | null;
  canceledAt: number | null;
  endedAt: number | null;
  items: ItemSnapshot[];
  discounts: DiscountSnapshot[];
}

/** One applied version of a subscription: the snapshot and the version key it was written with. */
export interface SubscriptionVersion {
  at: number;
  rank: number;
  eventId: string;
  snapshot: SubscriptionSnapshot;
}

export interface MrrInterval {
  subscriptionId: string;
  itemId: string;
  customerId: string;
  currency: string;
  /** Epoch seconds, inclusive. */
  validFrom: number;
  /** Epoch seconds, exclusive; null = open. */
  validTo: number | null;
  mrr: number;
  /**
   * When the cancellation that ends this subscription was requested (epoch seconds), on the
   * intervals it cuts short under the "at cancellation request" option: reports that choose it
   * end the interval at min(validTo, cancelRequestedAt). Null when no cancellation stands.
   */
  cancelRequestedAt: number | null;
}

/**
 * A customer-level discount (a `customer.discount.*` whose discount has no subscription) over the
 * span it was attached to the customer: [from, to), to = null while attached.
 */
export interface CustomerDiscountSpan extends DiscountSnapshot {
  from: number;
  to: number | null;
}

/** One applied customer discount event: the discount and the version key it was written with. */
export interface CustomerDiscountVersion {
  at: number;
  rank: number;
  eventId: string;
  /** The event removed the discount (`customer.discount.deleted`). */
  deleted: boolean;
  discount: DiscountSnapshot & { id: string };
}

/** Units billed for a quantity after `transform_quantity`. */
function billedQuantity(item: ItemSnapshot): number {
  const q = Math.max(0, item.quantity);
  if (!item.transformQuantity || item.transformQuantity.divideBy <= 0) return q;
  const r = q / item.transformQuantity.divideBy;
  return item.transformQuantity.round === 'up' ? Math.ceil(r) : Math.floor(r);
}

/** What Stripe bills for one period of this item, before discounts (tiered: for the current quantity). */
export function itemPeriodAmount(item: ItemSnapshot): bigint {
  const qty = billedQuantity(item);
  if (item.billingScheme === 'tiered') {
    const tiers = item.tiers ?? [];
    if (tiers.length === 0) return 0n;
    if (item.tiersMode === 'volume') {
      const tier = tiers.find((t) => t.upTo === null || qty <= t.upTo) ?? tiers.at(-1)!;
      return BigInt(qty) * BigInt(tier.unitAmount ?? 0) + BigInt(tier.flatAmount ?? 0);
    }
    // graduated: each tier bills the units that fall in it, plus its flat fee when reached.
    let total = 0n;
    let previous = 0;
    for (const tier of tiers) {
      if (qty <= previous) break;
      const top = tier.upTo === null ? qty : Math.min(qty, tier.upTo);
      total += BigInt(top - previous) * BigInt(tier.unitAmount ?? 0) + BigInt(tier.flatAmount ?? 0);
      previous = top;
      if (tier.upTo === null) break;
    }
    return total;
  }
  if (item.unitAmount !== null) return BigInt(item.unitAmount) * BigInt(qty);
  if (item.unitAmountDecimal === null) return 0n;
  // What Stripe bills: the exact decimal amount, rounded half-up to the minor unit.
  const exact = itemPeriodAmountExact(item);
  return roundHalfUp(exact.num, exact.den);
}

/**
 * `itemPeriodAmount` before any rounding: a decimal unit amount (`unit_amount_decimal`, in
 * fractions of a minor unit, up to 12 decimals) times the quantity stays an exact fraction, so MRR
 * rounds half-up once, after normalisation (METRICS.md), and never through binary floats.
 */
export function itemPeriodAmountExact(item: ItemSnapshot): Ratio {
  if (item.billingScheme === 'tiered' || item.unitAmount !== null || item.unitAmountDecimal === null)
    return { num: itemPeriodAmount(item), den: 1n };
  const d = parseDecimalAmount(item.unitAmountDecimal);
  return d ? { num: d.num * BigInt(billedQuantity(item)), den: d.den } : { num: 0n, den: 1n };
}

/** Does this discount reduce MRR at instant t? `once` coupons never do. */
export function discountApplies(d: DiscountSnapshot, t: number): boolean {
  if (d.duration === 'once') return false;
  if (d.start !== null && t < d.start) return false;
  if (d.end !== null && t >= d.end) return false;
  return true;
}

/** Is the discount attached at instant t (between its start and end), whatever its duration? */
export function discountPresent(d: DiscountSnapshot, t: number): boolean {
  return (d.start === null || t >= d.start) && (d.end === null || t < d.end);
}

function compareKeyed(
  a: { at: number; rank: number; eventId: string },
  b: { at: number; rank: number; eventId: string },
): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * The spans of a customer's customer-level discounts from the set of their applied versions
 * (order-independent). Per discount id: the terms of its greatest version; from its `start` (or
 * its first version); to the earliest of its `end` and the first version that deleted it.
 */
export function customerDiscountSpans(versions: CustomerDiscountVersion[]): CustomerDiscountSpan[] {
  const byId = new Map<string, CustomerDiscountVersion[]>();
  for (const v of versions) byId.set(v.discount.id, [...(byId.get(v.discount.id) ?? []), v]);
  const spans: CustomerDiscountSpan[] = [];
  for (const list of byId.values()) {
    const sorted = [...list].sort(compareKeyed);
    const last = sorted.at(-1)!;
    const from = last.discount.start ?? sorted[0]!.at;
    const deletedAt = sorted.find((v) => v.deleted)?.at ?? null;
    const ends = [last.discount.end, deletedAt].filter((x): x is number => x !== null);
    const to = ends.length ? Math.min(...ends) : null;
    if (to !== null && to <= from) continue;
    const { id, percentOff, amountOff, currency, duration, start, end } = last.discount;
    spans.push({ id, percentOff, amountOff, currency, duration, start, end, from, to });
  }
  return spans.sort((a, b) => a.from - b.from || ((a.id ?? '') < (b.id ?? '') ? -1 : 1));
}

/**
 * The discounts Stripe applies to a subscription at t: its own while it has one attached;
 * otherwise the customer's discount (the latest attached one, if several overlap).
 */
export function effectiveDiscounts(
  s: SubscriptionSnapshot,
  t: number,
  customerDiscounts: CustomerDiscountSpan[] = [],
): DiscountSnapshot[] {
  if (s.discounts.some((d) => discountPresent(d, t)) || customerDiscounts.length === 0) return s.discounts;
  let chosen: CustomerDiscountSpan | undefined;
  for (const c of customerDiscounts) {
    if (t < c.from || (c.to !== null && t >= c.to)) continue;
    if (!chosen || c.from > chosen.from || (c.from === chosen.from && (c.id ?? '') > (chosen.id ?? '')))
      chosen = c;
  }
  return chosen ? [chosen] : [];
}

/** The instant the final service period ends, if a cancellation is scheduled or done. */
export function cancellationEffectiveAt(s: SubscriptionSnapshot): number | null {
  const candidates: number[] = [];
  if (s.endedAt !== null) candidates.push(s.endedAt);
  if (s.cancelAt !== null) candidates.push(s.cancelAt);
  if (s.cancelAtPeriodEnd && s.currentPeriodEnd !== null) candidates.push(s.currentPeriodEnd);
  if (s.status === 'canceled' && candidates.length === 0 && s.canceledAt !== null)
    candidates.push(s.canceledAt);
  return candidates.length ? Math.min(...candidates) : null;
}

const PAYING = new Set<SubscriptionStatus>(['active', 'past_due']);

/**
 * Item MRR at instant t for a snapshot: 0 while trialing (until trial_end), 0 after the final
 * service period, 0 for unpaid / canceled / incomplete / paused; metered items are not MRR.
 * Discounts are the subscription's own, or the customer's when it has none attached
 * (`effectiveDiscounts`); amount_off discounts reduce the period amounts item by item (in item order, never below 0),
 * then percent_off discounts apply, then the monthly factor, then one half-up rounding.
 */
export function subscriptionMrrAt(
  s: SubscriptionSnapshot,
  t: number,
  customerDiscounts: CustomerDiscountSpan[] = [],
): Map<string, number> {
  const out = new Map<string, number>();
  const ended = cancellationEffectiveAt(s);
  let status = s.status;
  if (status === 'trialing' && s.trialEnd !== null && t >= s.trialEnd) status = 'active';
  const paying = PAYING.has(status) && !(ended !== null && t >= ended);
  const discounts = effectiveDiscounts(s, t, customerDiscounts).filter((d) => discountApplies(d, t));
  const percents = discounts
    .filter((d) => d.percentOff !== null && d.percentOff > 0)
    .map((d) => d.percentOff!);
  // Amount-off left per currency, in fractions of a minor unit of denominator `den` (decimal
  // unit amounts make item amounts fractions).
  const amountOffLeft = new Map<string, Ratio>();
  for (const d of discounts) {
    if (d.amountOff !== null && d.amountOff > 0 && d.currency) {
      const left = amountOffLeft.get(d.currency) ?? { num: 0n, den: 1n };
      amountOffLeft.set(d.currency, { num: left.num + BigInt(d.amountOff) * left.den, den: left.den });
    }
  }
  for (const item of s.items) {
    if (!paying || item.usageType === 'metered' || item.interval === null) {
      out.set(item.id, 0);
      continue;
    }
    let amount = itemPeriodAmountExact(item);
    const left = amountOffLeft.get(item.currency);
    if (left && left.num > 0n) {
      // On the common denominator: used = min(left, amount).
      const den = left.den * amount.den;
      const l = left.num * amount.den;
      const a = amount.num * left.den;
      const used = l > a ? a : l;
      amount = { num: a - used, den };
      amountOffLeft.set(item.currency, { num: l - used, den });
    }
    out.set(
      item.id,
      Number(normaliseToMonthly(amount, percents, monthlyFactor(item.interval, item.intervalCount))),
    );
  }
  return out;
}

function compareVersions(a: SubscriptionVersion, b: SubscriptionVersion): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * When the standing cancellation of a subscription was requested, from its versions sorted by
 * key: none unless the latest version has a cancellation scheduled or done. `canceled_at` is the
 * request instant Stripe records (for `cancel_at_period_end`, the time of the latest request);
 * without it, the first version of the trailing run that had the cancellation. Never after the
 * cancellation takes effect.
 */
export function cancellationRequestedAt(sorted: SubscriptionVersion[]): number | null {
  const last = sorted.at(-1);
  if (!last) return null;
  const effective = cancellationEffectiveAt(last.snapshot);
  if (effective === null) return null;
  let requested = last.snapshot.canceledAt;
  if (requested === null) {
    requested = last.at;
    for (let i = sorted.length - 1; i >= 0; i--) {
      if (cancellationEffectiveAt(sorted[i]!.snapshot) === null) break;
      requested = sorted[i]!.at;
    }
  }
  return Math.min(requested, effective);
}

/**
 * MRR intervals of every item of one subscription from the set of its applied versions. Each
 * version holds from its time until the next version (the first from the subscription's start);
 * within that span, trial end, the end of the final period and discount boundaries split it.
 * `customerDiscounts` are the spans of the customer's own discounts (`customerDiscountSpans`),
 * applied where the subscription has no discount attached. Intervals cut short by a standing
 * cancellation carry its request instant (`cancelRequestedAt`).
 * Order-independent: the result depends only on the set of versions (and of discount versions).
 */
export function subscriptionIntervals(
  versions: SubscriptionVersion[],
  options: { customerDiscounts?: CustomerDiscountSpan[] } = {},
): MrrInterval[] {
  const customerDiscounts = options.customerDiscounts ?? [];
  const sorted = [...versions].sort(compareVersions);
  const open = new Map<string, MrrInterval>();
  const done: MrrInterval[] = [];
  const close = (itemId: string, at: number) => {
    const iv = open.get(itemId);
    if (!iv) return;
    open.delete(itemId);
    if (at > iv.validFrom) done.push({ ...iv, validTo: at });
  };
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    const s = v.snapshot;
    const from = i === 0 ? Math.min(v.at, s.startDate ?? v.at, s.created ?? v.at) : v.at;
    const to = sorted[i + 1]?.at ?? null;
    if (to !== null && to <= from) continue;
    const cuts = new Set<number>([from]);
    const inside = (x: number | null) => x !== null && x > from && (to === null || x < to);
    for (const x of [
      s.trialEnd,
      cancellationEffectiveAt(s),
      ...s.discounts.flatMap((d) => [d.start, d.end]),
      ...customerDiscounts.flatMap((d) => [d.from, d.to, d.start, d.end]),
    ]) {
      if (inside(x)) cuts.add(x!);
    }
    const points = [...cuts].sort((a, b) => a - b);
    const itemIds = new Set(s.items.map((it) => it.id));
    // Items gone from this version end where it starts.
    for (const id of [...open.keys()]) if (!itemIds.has(id)) close(id, from);
    for (const p of points) {
      const mrr = subscriptionMrrAt(s, p, customerDiscounts);
      for (const item of s.items) {
        const value = mrr.get(item.id) ?? 0;
        const current = open.get(item.id);
        if (
          current &&
          current.mrr === value &&
          current.currency === item.currency &&
          current.customerId === s.customerId
        )
          continue;
        close(item.id, p);
        if (value > 0) {
          open.set(item.id, {
            subscriptionId: s.id,
            itemId: item.id,
            customerId: s.customerId,
            currency: item.currency,
            validFrom: p,
            validTo: null,
            mrr: value,
            cancelRequestedAt: null,
          });
        }
      }
    }
  }
  for (const id of [...open.keys()]) {
    const iv = open.get(id)!;
    open.delete(id);
    done.push(iv);
  }
  const requested = cancellationRequestedAt(sorted);
  if (requested !== null)
    for (const iv of done)
      if (iv.validTo === null || iv.validTo > requested) iv.cancelRequestedAt = requested;
  return done.sort((a, b) =>
    a.itemId === b.itemId ? a.validFrom - b.validFrom : a.itemId < b.itemId ? -1 : 1,
  );
}
