import { z } from 'zod';

/**
 * zod schemas for the fields of Stripe objects the ledger uses. Unknown fields are dropped here
 * (the raw JSON is stored separately). Both API shapes are accepted: billing period fields on the
 * subscription (before 2025) or on its items (since), `invoice.subscription` or
 * `invoice.parent.subscription_details.subscription`, `discount.coupon` or `discount.source.coupon`.
 */

const ts = z.number().int();
const optTs = ts.nullable().optional();
const str = z.string().min(1);
/** An expandable reference: an id string or the expanded object with an id. */
const ref = z
  .union([z.string(), z.object({ id: z.string() }).loose()])
  .transform((v) => (typeof v === 'string' ? v : v.id));
const optRef = ref.nullable().optional();
const metadata = z.record(z.string(), z.unknown()).nullable().optional();

export const recurringSchema = z.object({
  interval: z.enum(['day', 'week', 'month', 'year']),
  interval_count: z.number().int().positive().nullable().optional(),
  usage_type: z.enum(['licensed', 'metered']).nullable().optional(),
});

const tierSchema = z.object({
  up_to: z.number().int().nullable().optional(),
  unit_amount: z.number().int().nullable().optional(),
  flat_amount: z.number().int().nullable().optional(),
});

const transformQuantity = z
  .object({ divide_by: z.number().int(), round: z.enum(['up', 'down']) })
  .nullable()
  .optional();

export const priceSchema = z.object({
  id: str,
  object: z.literal('price'),
  currency: z.string().length(3),
  product: optRef,
  unit_amount: z.number().int().nullable().optional(),
  unit_amount_decimal: z.string().nullable().optional(),
  type: z.enum(['one_time', 'recurring']).nullable().optional(),
  billing_scheme: z.enum(['per_unit', 'tiered']).nullable().optional(),
  tiers_mode: z.enum(['graduated', 'volume']).nullable().optional(),
  tiers: z.array(tierSchema).nullable().optional(),
  recurring: recurringSchema.nullable().optional(),
  transform_quantity: transformQuantity,
  active: z.boolean().nullable().optional(),
  nickname: z.string().nullable().optional(),
  lookup_key: z.string().nullable().optional(),
  created: optTs,
  metadata,
});
export type StripePrice = z.infer<typeof priceSchema>;

/** Legacy `plan` on subscription items (older API versions). */
export const planSchema = z.object({
  id: str,
  object: z.literal('plan'),
  currency: z.string(),
  product: optRef,
  amount: z.number().int().nullable().optional(),
  amount_decimal: z.string().nullable().optional(),
  interval: z.enum(['day', 'week', 'month', 'year']),
  interval_count: z.number().int().positive().nullable().optional(),
  usage_type: z.enum(['licensed', 'metered']).nullable().optional(),
  billing_scheme: z.enum(['per_unit', 'tiered']).nullable().optional(),
  tiers_mode: z.enum(['graduated', 'volume']).nullable().optional(),
  tiers: z.array(tierSchema).nullable().optional(),
});

export const couponSchema = z.object({
  id: str,
  object: z.literal('coupon'),
  percent_off: z.number().min(0).max(100).nullable().optional(),
  amount_off: z.number().int().min(0).nullable().optional(),
  currency: z.string().length(3).nullable().optional(),
  duration: z.enum(['forever', 'once', 'repeating']),
  duration_in_months: z.number().int().nullable().optional(),
});
export type StripeCoupon = z.infer<typeof couponSchema>;

const couponRef = z.union([z.string(), couponSchema]);

export const discountSchema = z.object({
  id: z.string().nullable().optional(),
  object: z.literal('discount'),
  coupon: couponRef.nullable().optional(),
  source: z.object({ coupon: couponRef.nullable().optional() }).nullable().optional(),
  customer: optRef,
  subscription: z.string().nullable().optional(),
  start: optTs,
  end: optTs,
});
export type StripeDiscount = z.infer<typeof discountSchema>;

export const subscriptionItemSchema = z.object({
  id: str,
  price: priceSchema.nullable().optional(),
  plan: planSchema.nullable().optional(),
  quantity: z.number().int().nullable().optional(),
  current_period_start: optTs,
  current_period_end: optTs,
});

export const subscriptionStatus = z.enum([
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
]);

export const subscriptionSchema = z.object({
  id: str,
  object: z.literal('subscription'),
  customer: ref,
  status: subscriptionStatus,
  currency: z.string().length(3).nullable().optional(),
  created: optTs,
  start_date: optTs,
  trial_start: optTs,
  trial_end: optTs,
  current_period_start: optTs,
  current_period_end: optTs,
  cancel_at_period_end: z.boolean().nullable().optional(),
  cancel_at: optTs,
  canceled_at: optTs,
  ended_at: optTs,
  items: z.object({ data: z.array(subscriptionItemSchema) }),
  discount: discountSchema.nullable().optional(),
  discounts: z
    .array(z.union([z.string(), discountSchema]))
    .nullable()
    .optional(),
  metadata,
});
export type StripeSubscription = z.infer<typeof subscriptionSchema>;

export const customerSchema = z.object({
  id: str,
  object: z.literal('customer'),
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  currency: z.string().nullable().optional(),
  created: optTs,
  deleted: z.boolean().optional(),
  metadata,
});

export const productSchema = z.object({
  id: str,
  object: z.literal('product'),
  name: z.string().nullable().optional(),
  active: z.boolean().nullable().optional(),
  created: optTs,
  deleted: z.boolean().optional(),
  metadata,
});

export const invoiceLineSchema = z.object({
  id: str,
  amount: z.number().int(),
  currency: z.string().length(3),
  description: z.string().nullable().optional(),
  price: z.object({ id: z.string() }).loose().nullable().optional(),
  pricing: z
    .object({ price_details: z.object({ price: optRef }).nullable().optional() })
    .nullable()
    .optional(),
  quantity: z.number().int().nullable().optional(),
  proration: z.boolean().nullable().optional(),
  subscription: optRef,
  subscription_item: optRef,
  parent: z
    .object({
      subscription_item_details: z
        .object({
          subscription: z.string().nullable().optional(),
          subscription_item: z.string().nullable().optional(),
          proration: z.boolean().nullable().optional(),
        })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  period: z.object({ start: ts, end: ts }).nullable().optional(),
});

export const invoiceSchema = z.object({
  id: str,
  object: z.literal('invoice'),
  customer: optRef,
  subscription: optRef,
  parent: z
    .object({ subscription_details: z.object({ subscription: optRef }).nullable().optional() })
    .nullable()
    .optional(),
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).nullable().optional(),
  currency: z.string().length(3),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  amount_remaining: z.number().int(),
  subtotal: z.number().int().nullable().optional(),
  total: z.number().int().nullable().optional(),
  billing_reason: z.string().nullable().optional(),
  period_start: optTs,
  period_end: optTs,
  status_transitions: z.object({ paid_at: optTs }).nullable().optional(),
  payment_intent: optRef,
  attempt_count: z.number().int().nullable().optional(),
  created: optTs,
  lines: z
    .object({ data: z.array(invoiceLineSchema) })
    .nullable()
    .optional(),
  metadata,
});

export const paymentIntentSchema = z.object({
  id: str,
  object: z.literal('payment_intent'),
  customer: optRef,
  invoice: optRef,
  amount: z.number().int(),
  amount_received: z.number().int().nullable().optional(),
  currency: z.string().length(3),
  status: z.string(),
  description: z.string().nullable().optional(),
  last_payment_error: z
    .object({ message: z.string().nullable().optional(), code: z.string().nullable().optional() })
    .loose()
    .nullable()
    .optional(),
  created: optTs,
  metadata,
});

export const refundSchema = z.object({
  id: str,
  object: z.literal('refund'),
  charge: optRef,
  payment_intent: optRef,
  amount: z.number().int(),
  currency: z.string().length(3),
  status: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
  created: ts,
  metadata,
});

export const chargeSchema = z.object({
  id: str,
  object: z.literal('charge'),
  payment_intent: optRef,
  customer: optRef,
  invoice: optRef,
  amount: z.number().int(),
  amount_captured: z.number().int().nullable().optional(),
  amount_refunded: z.number().int().nullable().optional(),
  currency: z.string().length(3),
  status: z.string(),
  paid: z.boolean().nullable().optional(),
  refunded: z.boolean().nullable().optional(),
  disputed: z.boolean().nullable().optional(),
  failure_code: z.string().nullable().optional(),
  created: optTs,
  refunds: z
    .object({ data: z.array(refundSchema) })
    .nullable()
    .optional(),
  metadata,
});

export const disputeSchema = z.object({
  id: str,
  object: z.literal('dispute'),
  charge: optRef,
  payment_intent: optRef,
  amount: z.number().int(),
  currency: z.string().length(3),
  status: z.string(),
  reason: z.string().nullable().optional(),
  created: optTs,
});

export const checkoutSessionSchema = z.object({
  id: str,
  object: z.literal('checkout.session'),
  customer: optRef,
  mode: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  payment_status: z.string().nullable().optional(),
  amount_total: z.number().int().nullable().optional(),
  currency: z.string().nullable().optional(),
  subscription: optRef,
  payment_intent: optRef,
  client_reference_id: z.string().nullable().optional(),
  created: optTs,
  metadata,
});

/** The event envelope. `data.object` stays raw here; it is parsed by its own schema when applied. */
export const eventSchema = z.object({
  id: z.string().regex(/^evt_/, 'must be a Stripe event id (evt_...)'),
  object: z.literal('event'),
  type: z.string().min(1),
  created: ts,
  api_version: z.string().nullable().optional(),
  livemode: z.boolean().optional(),
  data: z.object({
    object: z.record(z.string(), z.unknown()),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type StripeEventEnvelope = z.infer<typeof eventSchema>;

/** The object kinds the ledger mirrors, by their Stripe `object` value. */
export const objectSchemas = {
  customer: customerSchema,
  product: productSchema,
  price: priceSchema,
  coupon: couponSchema,
  discount: discountSchema,
  subscription: subscriptionSchema,
  invoice: invoiceSchema,
  payment_intent: paymentIntentSchema,
  charge: chargeSchema,
  refund: refundSchema,
  dispute: disputeSchema,
  'checkout.session': checkoutSessionSchema,
} as const;

export type MirroredObject = keyof typeof objectSchemas;
export const mirroredObjects = Object.keys(objectSchemas) as MirroredObject[];
