/**
 * Builders of Stripe objects and events in the wire shape of Stripe's API fixtures, for tests,
 * benchmarks and demos. Pure and deterministic: ids come from the caller or a counter.
 */
export type Obj = Record<string, unknown>;

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Obj; previous_attributes?: Obj };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface PlanPrice {
  id: string;
  product: string;
  unitAmount: number;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount: number;
  nickname?: string;
}

export interface SubscriptionState {
  id: string;
  customer: string;
  status:
    | 'incomplete'
    | 'incomplete_expired'
    | 'trialing'
    | 'active'
    | 'past_due'
    | 'canceled'
    | 'unpaid'
    | 'paused';
  created: number;
  startDate: number;
  items: { id: string; price: PlanPrice; quantity: number; created: number }[];
  currentPeriodStart: number;
  currentPeriodEnd: number;
  trialStart?: number | null;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  canceledAt?: number | null;
  endedAt?: number | null;
  coupon?: {
    id: string;
    percentOff?: number | null;
    amountOff?: number | null;
    currency?: string | null;
    duration: 'forever' | 'once' | 'repeating';
    durationInMonths?: number | null;
  } | null;
  discountStart?: number | null;
  discountEnd?: number | null;
}

/** 2025+ API versions carry billing periods on subscription items; older ones on the subscription. */
export const NEW_API_VERSION = '2025-06-30.basil';
export const OLD_API_VERSION = '2024-06-20';

export function priceObject(p: PlanPrice, created: number): Obj {
  return {
    id: p.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: p.nickname ?? null,
    product: p.product,
    recurring: {
      interval: p.interval,
      interval_count: p.intervalCount,
      meter: null,
      usage_type: 'licensed',
      trial_period_days: null,
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: p.unitAmount,
    unit_amount_decimal: String(p.unitAmount),
  };
}

export function productObject(id: string, name: string, created: number): Obj {
  return {
    id,
    object: 'product',
    active: true,
    created,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: created,
    url: null,
  };
}

export function customerObject(
  id: string,
  email: string,
  name: string,
  created: number,
  metadata: Obj = {},
): Obj {
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: 'usd',
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata,
    name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

function couponObject(c: NonNullable<SubscriptionState['coupon']>, created: number): Obj {
  return {
    id: c.id,
    object: 'coupon',
    amount_off: c.amountOff ?? null,
    created,
    currency: c.currency ?? null,
    duration: c.duration,
    duration_in_months: c.durationInMonths ?? null,
    livemode: false,
    max_redemptions: null,
    metadata: {},
    name: c.percentOff ? `${c.percentOff}% off` : `${c.amountOff} off`,
    percent_off: c.percentOff ?? null,
    redeem_by: null,
    times_redeemed: 1,
    valid: true,
  };
}

export function discountObject(s: SubscriptionState): Obj | null {
  if (!s.coupon) return null;
  return {
    id: `di_${s.id.slice(4)}_${s.coupon.id}`,
    object: 'discount',
    checkout_session: null,
    coupon: couponObject(s.coupon, s.discountStart ?? s.created),
    customer: s.customer,
    end: s.discountEnd ?? null,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    start: s.discountStart ?? s.created,
    subscription: s.id,
    subscription_item: null,
  };
}

/** A customer-level discount (Stripe's `customer.discount`): attached to the customer, no subscription. */
export function customerDiscountObject(d: {
  id: string;
  customer: string;
  coupon: NonNullable<SubscriptionState['coupon']>;
  start: number;
  end?: number | null;
}): Obj {
  return {
    id: d.id,
    object: 'discount',
    checkout_session: null,
    coupon: couponObject(d.coupon, d.start),
    customer: d.customer,
    end: d.end ?? null,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    start: d.start,
    subscription: null,
    subscription_item: null,
  };
}

export function subscriptionObject(s: SubscriptionState, apiVersion: string): Obj {
  const newShape = apiVersion >= '2025';
  const discount = discountObject(s);
  const periods = { current_period_start: s.currentPeriodStart, current_period_end: s.currentPeriodEnd };
  return {
    id: s.id,
    object: 'subscription',
    application: null,
    automatic_tax: { enabled: false, liability: null },
    billing_cycle_anchor: s.startDate,
    cancel_at: s.cancelAt ?? null,
    cancel_at_period_end: s.cancelAtPeriodEnd ?? false,
    canceled_at: s.canceledAt ?? null,
    cancellation_details: {
      comment: null,
      feedback: null,
      reason: s.canceledAt ? 'cancellation_requested' : null,
    },
    collection_method: 'charge_automatically',
    created: s.created,
    currency: s.items[0]?.price.currency ?? 'usd',
    customer: s.customer,
    days_until_due: null,
    default_payment_method: null,
    description: null,
    ...(newShape
      ? { discounts: discount ? [discount] : [] }
      : { discount, discounts: discount ? [discount.id] : [] }),
    ended_at: s.endedAt ?? null,
    items: {
      object: 'list',
      data: s.items.map((it) => ({
        id: it.id,
        object: 'subscription_item',
        created: it.created,
        discounts: [],
        metadata: {},
        price: priceObject(it.price, it.created),
        quantity: it.quantity,
        subscription: s.id,
        tax_rates: [],
        ...(newShape ? periods : {}),
      })),
      has_more: false,
      total_count: s.items.length,
      url: `/v1/subscription_items?subscription=${s.id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: {},
    pause_collection: null,
    start_date: s.startDate,
    status: s.status,
    test_clock: null,
    trial_end: s.trialEnd ?? null,
    trial_start: s.trialStart ?? null,
    ...(newShape ? {} : periods),
  };
}

export interface InvoiceState {
  id: string;
  customer: string;
  subscription: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  currency: string;
  amountDue: number;
  amountPaid: number;
  created: number;
  periodStart: number;
  periodEnd: number;
  paidAt?: number | null;
  attemptCount?: number;
  paymentIntent?: string | null;
  billingReason?: string;
  lines: {
    id: string;
    amount: number;
    priceId: string | null;
    quantity: number;
    subscriptionItem: string | null;
    periodStart: number;
    periodEnd: number;
    description: string;
  }[];
}

export function invoiceObject(i: InvoiceState, apiVersion: string): Obj {
  const newShape = apiVersion >= '2025';
  return {
    id: i.id,
    object: 'invoice',
    account_country: 'US',
    amount_due: i.amountDue,
    amount_paid: i.amountPaid,
    amount_remaining: Math.max(0, i.amountDue - i.amountPaid),
    attempt_count: i.attemptCount ?? 1,
    attempted: true,
    billing_reason: i.billingReason ?? 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: i.created,
    currency: i.currency,
    customer: i.customer,
    discounts: [],
    lines: {
      object: 'list',
      data: i.lines.map((l) => ({
        id: l.id,
        object: 'line_item',
        amount: l.amount,
        currency: i.currency,
        description: l.description,
        discount_amounts: [],
        discountable: true,
        discounts: [],
        invoice: i.id,
        livemode: false,
        metadata: {},
        period: { start: l.periodStart, end: l.periodEnd },
        quantity: l.quantity,
        ...(newShape
          ? {
              parent: {
                type: 'subscription_item_details',
                subscription_item_details: {
                  subscription: i.subscription,
                  subscription_item: l.subscriptionItem,
                  proration: false,
                  invoice_item: null,
                },
              },
              pricing: {
                type: 'price_details',
                price_details: { price: l.priceId, product: null },
                unit_amount_decimal: null,
              },
            }
          : {
              price: l.priceId ? { id: l.priceId, object: 'price' } : null,
              proration: false,
              subscription: i.subscription,
              subscription_item: l.subscriptionItem,
              type: 'subscription',
            }),
      })),
      has_more: false,
      url: `/v1/invoices/${i.id}/lines`,
    },
    livemode: false,
    metadata: {},
    number: `INV-${i.id.slice(3, 11).toUpperCase()}`,
    period_end: i.periodEnd,
    period_start: i.periodStart,
    status: i.status,
    status_transitions: {
      finalized_at: i.created,
      marked_uncollectible_at: null,
      paid_at: i.paidAt ?? null,
      voided_at: null,
    },
    subtotal: i.amountDue,
    total: i.amountDue,
    ...(newShape
      ? {
          parent: i.subscription
            ? {
                type: 'subscription_details',
                subscription_details: { subscription: i.subscription, metadata: {} },
              }
            : null,
        }
      : { subscription: i.subscription, payment_intent: i.paymentIntent ?? null }),
  };
}

export interface PaymentState {
  id: string;
  customer: string;
  amount: number;
  currency: string;
  status: 'requires_payment_method' | 'processing' | 'succeeded' | 'canceled';
  created: number;
  invoice?: string | null;
  failureMessage?: string | null;
  metadata?: Obj;
}

export function paymentIntentObject(p: PaymentState): Obj {
  return {
    id: p.id,
    object: 'payment_intent',
    amount: p.amount,
    amount_capturable: 0,
    amount_received: p.status === 'succeeded' ? p.amount : 0,
    automatic_payment_methods: null,
    canceled_at: null,
    capture_method: 'automatic',
    client_secret: `${p.id}_secret_x`,
    confirmation_method: 'automatic',
    created: p.created,
    currency: p.currency,
    customer: p.customer,
    description: p.invoice ? 'Subscription update' : null,
    invoice: p.invoice ?? null,
    last_payment_error: p.failureMessage
      ? { type: 'card_error', code: 'card_declined', message: p.failureMessage }
      : null,
    latest_charge: p.status === 'succeeded' ? `ch_${p.id.slice(3)}` : null,
    livemode: false,
    metadata: p.metadata ?? {},
    payment_method: null,
    payment_method_types: ['card'],
    status: p.status,
  };
}

export interface ChargeState {
  id: string;
  paymentIntent: string | null;
  customer: string;
  amount: number;
  currency: string;
  created: number;
  refunds: { id: string; amount: number; created: number; reason?: string }[];
}

export function chargeObject(c: ChargeState): Obj {
  const refunded = c.refunds.reduce((s, r) => s + r.amount, 0);
  return {
    id: c.id,
    object: 'charge',
    amount: c.amount,
    amount_captured: c.amount,
    amount_refunded: refunded,
    balance_transaction: null,
    captured: true,
    created: c.created,
    currency: c.currency,
    customer: c.customer,
    description: null,
    disputed: false,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: c.paymentIntent,
    refunded: refunded >= c.amount,
    refunds: {
      object: 'list',
      data: c.refunds.map((r) => ({
        id: r.id,
        object: 'refund',
        amount: r.amount,
        charge: c.id,
        created: r.created,
        currency: c.currency,
        metadata: {},
        payment_intent: c.paymentIntent,
        reason: r.reason ?? 'requested_by_customer',
        status: 'succeeded',
      })),
      has_more: false,
      url: `/v1/charges/${c.id}/refunds`,
    },
    status: 'succeeded',
  };
}

/** Builds events with sequential, sortable ids (evt_<prefix><seq>). */
export function eventFactory(options: { apiVersion?: string; prefix?: string } = {}) {
  const apiVersion = options.apiVersion ?? OLD_API_VERSION;
  const prefix = options.prefix ?? 'demo';
  let seq = 0;
  return {
    apiVersion,
    event(type: string, created: number, object: Obj, previous?: Obj): StripeEvent {
      seq++;
      return {
        id: `evt_${prefix}${String(seq).padStart(9, '0')}`,
        object: 'event',
        api_version: apiVersion,
        created,
        data: previous ? { object, previous_attributes: previous } : { object },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      };
    },
  };
}
