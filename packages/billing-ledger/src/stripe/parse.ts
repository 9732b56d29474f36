import type { z } from 'zod';
import { err, LedgerError, ok, type Result } from '../errors.ts';
import type { DiscountSnapshot, ItemSnapshot, SubscriptionSnapshot } from '../pure/mrr.ts';
import {
  eventSchema,
  type MirroredObject,
  mirroredObjects,
  objectSchemas,
  type StripeDiscount,
  type StripeEventEnvelope,
  type StripeSubscription,
} from './schemas.ts';

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parses a webhook body's event envelope; a clear `invalid_payload` error otherwise. */
export function parseEvent(input: unknown): Result<StripeEventEnvelope> {
  const r = eventSchema.safeParse(input);
  return r.success
    ? ok(r.data)
    : err(new LedgerError('invalid_payload', `Not a Stripe event: ${describe(r.error)}`));
}

export type ParsedObject = {
  [K in MirroredObject]: { kind: K; value: z.infer<(typeof objectSchemas)[K]> };
}[MirroredObject];

export const isMirrored = (kind: unknown): kind is MirroredObject =>
  typeof kind === 'string' && (mirroredObjects as string[]).includes(kind);

/** Parses a Stripe object the ledger mirrors, by its `object` field. Never throws. */
export function parseStripeObject(input: unknown): Result<ParsedObject> {
  const kind = (input as { object?: unknown } | null)?.object;
  if (!isMirrored(kind)) {
    return err(
      new LedgerError(
        'unsupported_object',
        `Stripe object type ${JSON.stringify(kind ?? null)} is not mirrored by the ledger`,
      ),
    );
  }
  const r = objectSchemas[kind].safeParse(input);
  if (!r.success)
    return err(new LedgerError('invalid_payload', `Stripe ${kind} failed validation: ${describe(r.error)}`));
  return ok({ kind, value: r.data } as ParsedObject);
}

type Coupon = {
  percent_off?: number | null | undefined;
  amount_off?: number | null | undefined;
  currency?: string | null | undefined;
  duration: 'forever' | 'once' | 'repeating';
  id: string;
};

/** A discount as the MRR calculation needs it; the coupon may be only an id (resolved later). */
export function discountSnapshot(d: StripeDiscount): DiscountSnapshot & { couponId: string | null } {
  const c = d.coupon ?? d.source?.coupon ?? null;
  const coupon: Coupon | null = c !== null && typeof c === 'object' ? c : null;
  return {
    id: d.id ?? null,
    couponId: typeof c === 'string' ? c : (coupon?.id ?? null),
    percentOff: coupon?.percent_off ?? null,
    amountOff: coupon?.amount_off ?? null,
    currency: coupon?.currency ?? null,
    duration: coupon?.duration ?? 'forever',
    start: d.start ?? null,
    end: d.end ?? null,
  };
}

/** Normalises a parsed subscription (either API shape) into the snapshot MRR is computed from. */
export function subscriptionSnapshot(s: StripeSubscription): SubscriptionSnapshot & {
  discountIds: string[];
  discounts: (DiscountSnapshot & { couponId?: string | null })[];
} {
  const items: ItemSnapshot[] = s.items.data.map((it) => {
    const p = it.price;
    const plan = it.plan;
    const recurring =
      p?.recurring ??
      (plan
        ? { interval: plan.interval, interval_count: plan.interval_count, usage_type: plan.usage_type }
        : null);
    return {
      id: it.id,
      priceId: p?.id ?? plan?.id ?? null,
      quantity: it.quantity ?? 1,
      currency: (p?.currency ?? plan?.currency ?? s.currency ?? 'usd').toLowerCase(),
      unitAmount: p ? (p.unit_amount ?? null) : (plan?.amount ?? null),
      unitAmountDecimal: p ? (p.unit_amount_decimal ?? null) : (plan?.amount_decimal ?? null),
      interval: recurring?.interval ?? null,
      intervalCount: recurring?.interval_count ?? 1,
      usageType: recurring?.usage_type ?? 'licensed',
      billingScheme: (p?.billing_scheme ?? plan?.billing_scheme) === 'tiered' ? 'tiered' : 'per_unit',
      tiersMode: p?.tiers_mode ?? plan?.tiers_mode ?? null,
      tiers:
        (p?.tiers ?? plan?.tiers)?.map((t) => ({
          upTo: t.up_to ?? null,
          unitAmount: t.unit_amount ?? null,
          flatAmount: t.flat_amount ?? null,
        })) ?? null,
      transformQuantity: p?.transform_quantity
        ? { divideBy: p.transform_quantity.divide_by, round: p.transform_quantity.round }
        : null,
    };
  });
  const discounts: (DiscountSnapshot & { couponId: string | null })[] = [];
  const discountIds: string[] = [];
  if (s.discount) discounts.push(discountSnapshot(s.discount));
  for (const d of s.discounts ?? []) {
    if (typeof d === 'string') {
      if (!discounts.some((x) => x.id === d)) discountIds.push(d);
    } else if (!discounts.some((x) => x.id !== null && x.id === d.id)) discounts.push(discountSnapshot(d));
  }
  // Period fields moved from the subscription to its items in 2025 API versions.
  const itemEnds = s.items.data
    .map((i) => i.current_period_end)
    .filter((x): x is number => typeof x === 'number');
  const itemStarts = s.items.data
    .map((i) => i.current_period_start)
    .filter((x): x is number => typeof x === 'number');
  return {
    id: s.id,
    customerId: s.customer,
    status: s.status,
    currency: s.currency?.toLowerCase() ?? items[0]?.currency ?? null,
    created: s.created ?? null,
    startDate: s.start_date ?? null,
    trialStart: s.trial_start ?? null,
    trialEnd: s.trial_end ?? null,
    currentPeriodStart: s.current_period_start ?? (itemStarts.length ? Math.min(...itemStarts) : null),
    currentPeriodEnd: s.current_period_end ?? (itemEnds.length ? Math.max(...itemEnds) : null),
    cancelAtPeriodEnd: s.cancel_at_period_end ?? false,
    cancelAt: s.cancel_at ?? null,
    canceledAt: s.canceled_at ?? null,
    endedAt: s.ended_at ?? null,
    items,
    discounts,
    discountIds,
  };
}

export type { StripeEventEnvelope };
