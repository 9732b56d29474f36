import {
  chargeObject,
  customerDiscountObject,
  customerObject,
  discountObject,
  eventFactory,
  invoiceObject,
  type PlanPrice,
  paymentIntentObject,
  priceObject,
  productObject,
  type StripeEvent,
  type SubscriptionState,
  subscriptionObject,
} from './factory.ts';

/**
 * Customer histories (signup, subscriptions with plan phases, trials, coupons, failed payments,
 * refunds, cancellations) and their translation into the Stripe event stream Stripe would send.
 * Pure and deterministic; times are epoch seconds.
 */
export interface SimPhase {
  /** When this plan starts (the subscription start for the first phase). */
  at: number;
  price: PlanPrice;
  quantity: number;
}

export interface SimSubscription {
  id: string;
  startAt: number;
  trialDays: number;
  phases: SimPhase[];
  coupon?:
    | {
        id: string;
        percentOff?: number;
        amountOff?: number;
        duration: 'forever' | 'once' | 'repeating';
        durationInMonths?: number;
      }
    | undefined;
  /** Cancellation requested at this time, effective at the end of that period. */
  cancelRequestedAt?: number | undefined;
  /** Billing periods (0-based, counted from the first paid one) whose first payment attempt fails. */
  failedPeriods?: number[] | undefined;
  /** Failed periods that are never recovered: the subscription goes unpaid then canceled. */
  unrecoverable?: boolean | undefined;
  /** Refund part of the payment of a period. */
  refunds?: { period: number; fraction: number }[] | undefined;
}

/**
 * A customer-level coupon: `customer.discount.created` at `at` (or `customer.discount.updated`
 * when it replaces the customer's previous discount, as Stripe sends on a coupon switch), and
 * `customer.discount.deleted` at `removedAt`. Stripe applies it to subscriptions without a
 * discount of their own.
 */
export interface SimCustomerDiscount {
  id: string;
  at: number;
  coupon: {
    id: string;
    percentOff?: number;
    amountOff?: number;
    currency?: string;
    duration: 'forever' | 'once' | 'repeating';
    durationInMonths?: number;
  };
  replacesPrevious?: boolean | undefined;
  removedAt?: number | undefined;
}

export interface SimCustomer {
  id: string;
  email: string;
  name: string;
  createdAt: number;
  subscriptions: SimSubscription[];
  discounts?: SimCustomerDiscount[] | undefined;
  /** Stripe customer metadata, e.g. the product's `user_id` / `account_id` that link it to usage. */
  metadata?: Record<string, string> | undefined;
}

/** The span [start, end) of each customer discount (end: its repeating end, removal or replacement). */
function customerDiscountSpans(
  c: SimCustomer,
): { d: SimCustomerDiscount; start: number; end: number | null }[] {
  const list = [...(c.discounts ?? [])].sort((a, b) => a.at - b.at);
  return list.map((d, i) => {
    const next = list[i + 1];
    const ends = [
      d.coupon.duration === 'repeating' && d.coupon.durationInMonths
        ? addInterval(d.at, 'month', d.coupon.durationInMonths)
        : null,
      d.removedAt ?? null,
      next?.replacesPrevious ? next.at : null,
    ].filter((x): x is number => x !== null);
    return { d, start: d.at, end: ends.length ? Math.min(...ends) : null };
  });
}

export interface SimCatalog {
  products: { id: string; name: string }[];
  prices: PlanPrice[];
}

const DAY = 86_400;

export function addInterval(t: number, interval: PlanPrice['interval'], count: number): number {
  if (interval === 'day') return t + count * DAY;
  if (interval === 'week') return t + count * 7 * DAY;
  const d = new Date(t * 1000);
  const months = interval === 'month' ? count : 12 * count;
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.floor(target.getTime() / 1000);
}

/**
 * Every Stripe event of the catalog and the customers' histories up to `until`, in time order
 * (ties keep generation order). Subscriptions renew each period until cancelled.
 */
export function stripeEventsFromHistory(
  catalog: SimCatalog,
  customers: SimCustomer[],
  options: { until: number; apiVersion?: string; prefix?: string; catalogAt?: number },
): StripeEvent[] {
  const f = eventFactory({
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    prefix: options.prefix ?? 'sim',
  });
  const out: { e: StripeEvent; order: number }[] = [];
  let order = 0;
  const emit = (
    type: string,
    at: number,
    object: Record<string, unknown>,
    previous?: Record<string, unknown>,
  ) => {
    if (at >= options.until) return;
    out.push({ e: f.event(type, at, object, previous), order: order++ });
  };
  const catalogAt = options.catalogAt ?? Math.min(...customers.map((c) => c.createdAt), options.until) - DAY;
  for (const p of catalog.products)
    emit('product.created', catalogAt, productObject(p.id, p.name, catalogAt));
  for (const p of catalog.prices) emit('price.created', catalogAt, priceObject(p, catalogAt));

  for (const c of customers) {
    emit(
      'customer.created',
      c.createdAt,
      customerObject(c.id, c.email, c.name, c.createdAt, c.metadata ?? {}),
    );
    for (const { d } of customerDiscountSpans(c)) {
      const object = customerDiscountObject({
        id: d.id,
        customer: c.id,
        coupon: d.coupon,
        start: d.at,
        end:
          d.coupon.duration === 'repeating' && d.coupon.durationInMonths
            ? addInterval(d.at, 'month', d.coupon.durationInMonths)
            : null,
      });
      emit(d.replacesPrevious ? 'customer.discount.updated' : 'customer.discount.created', d.at, object);
      if (d.removedAt !== undefined) emit('customer.discount.deleted', d.removedAt, object);
    }
    for (const sim of c.subscriptions) translateSubscription(c, sim, emit, f.apiVersion, options.until);
  }
  return out.sort((a, b) => a.e.created - b.e.created || a.order - b.order).map((x) => x.e);
}

type Emit = (
  type: string,
  at: number,
  object: Record<string, unknown>,
  previous?: Record<string, unknown>,
) => void;

function translateSubscription(
  c: SimCustomer,
  sim: SimSubscription,
  emit: Emit,
  apiVersion: string,
  until: number,
): void {
  const first = sim.phases[0]!;
  const trialEnd = sim.trialDays > 0 ? sim.startAt + sim.trialDays * DAY : null;
  const anchor = trialEnd ?? sim.startAt;
  const itemId = `si_${sim.id.slice(4)}`;
  const state: SubscriptionState = {
    id: sim.id,
    customer: c.id,
    status: trialEnd ? 'trialing' : 'active',
    created: sim.startAt,
    startDate: sim.startAt,
    items: [{ id: itemId, price: first.price, quantity: first.quantity, created: sim.startAt }],
    currentPeriodStart: sim.startAt,
    currentPeriodEnd: trialEnd ?? addInterval(sim.startAt, first.price.interval, first.price.intervalCount),
    trialStart: trialEnd ? sim.startAt : null,
    trialEnd,
    coupon: sim.coupon
      ? { ...sim.coupon, currency: sim.coupon.amountOff ? first.price.currency : null }
      : null,
    discountStart: sim.coupon ? sim.startAt : null,
    discountEnd:
      sim.coupon?.duration === 'repeating' && sim.coupon.durationInMonths
        ? addInterval(anchor, 'month', sim.coupon.durationInMonths)
        : null,
  };
  const snap = () => subscriptionObject(state, apiVersion);
  emit('customer.subscription.created', sim.startAt, snap());
  const discount = discountObject(state);
  if (discount) emit('customer.discount.created', sim.startAt, discount);

  let phaseIndex = 0;
  const phaseAt = (t: number) => {
    while (phaseIndex + 1 < sim.phases.length && sim.phases[phaseIndex + 1]!.at <= t) phaseIndex++;
    return sim.phases[phaseIndex]!;
  };
  const failed = new Set(sim.failedPeriods ?? []);
  const customerSpans = customerDiscountSpans(c);
  const usedOnce = new Set<string>();
  let periodStart = anchor;
  let period = 0;
  let cancelEmitted = false;
  if (trialEnd) {
    state.status = 'active';
    state.currentPeriodStart = trialEnd;
    state.currentPeriodEnd = addInterval(trialEnd, first.price.interval, first.price.intervalCount);
    emit('customer.subscription.updated', trialEnd, snap(), { status: 'trialing' });
  }
  // Phase changes between renewals (upgrades / downgrades) take effect immediately.
  const pendingChanges = sim.phases.slice(1);
  while (periodStart < until) {
    const phase = phaseAt(periodStart);
    if (state.items[0]!.price.id !== phase.price.id || state.items[0]!.quantity !== phase.quantity) {
      state.items = [
        { id: itemId, price: phase.price, quantity: phase.quantity, created: state.items[0]!.created },
      ];
    }
    const periodEnd = addInterval(periodStart, phase.price.interval, phase.price.intervalCount);
    state.currentPeriodStart = periodStart;
    state.currentPeriodEnd = periodEnd;
    if (period > 0)
      emit('customer.subscription.updated', periodStart, snap(), { current_period_start: periodStart });
    // Invoice for the period.
    const gross = phase.price.unitAmount * phase.quantity;
    const discountActive =
      sim.coupon &&
      (sim.coupon.duration === 'forever' ||
        (sim.coupon.duration === 'once' && period === 0) ||
        (sim.coupon.duration === 'repeating' &&
          (state.discountEnd === null || periodStart < state.discountEnd!)));
    // Without a discount of its own, the subscription gets the customer's (a `once` coupon only on
    // the first invoice while it is attached).
    const customerCoupon = discountActive
      ? undefined
      : customerSpans.find(
          (s) =>
            s.start <= periodStart &&
            (s.end === null || periodStart < s.end) &&
            (s.d.coupon.duration !== 'once' || !usedOnce.has(s.d.id)),
        )?.d.coupon;
    const coupon = discountActive ? sim.coupon : customerCoupon;
    if (customerCoupon?.duration === 'once')
      usedOnce.add(customerSpans.find((s) => s.d.coupon === customerCoupon)!.d.id);
    const amount = Math.max(
      0,
      coupon
        ? coupon.percentOff
          ? Math.round(gross * (1 - coupon.percentOff / 100))
          : gross - (coupon.amountOff ?? 0)
        : gross,
    );
    const invId = `in_${sim.id.slice(4)}_${period}`;
    const piId = `pi_${sim.id.slice(4)}_${period}`;
    const inv = {
      id: invId,
      customer: c.id,
      subscription: sim.id,
      status: 'open' as 'open' | 'paid' | 'uncollectible' | 'void',
      currency: phase.price.currency,
      amountDue: amount,
      amountPaid: 0,
      created: periodStart,
      periodStart,
      periodEnd,
      paymentIntent: piId,
      billingReason: period === 0 ? 'subscription_create' : 'subscription_cycle',
      lines: [
        {
          id: `il_${sim.id.slice(4)}_${period}`,
          amount,
          priceId: phase.price.id,
          quantity: phase.quantity,
          subscriptionItem: itemId,
          periodStart,
          periodEnd,
          description: `${phase.quantity} x ${phase.price.nickname ?? phase.price.id}`,
        },
      ],
    };
    emit('invoice.finalized', periodStart, invoiceObject(inv, apiVersion));
    let paidAt = periodStart;
    if (amount > 0 && failed.has(period)) {
      emit(
        'payment_intent.payment_failed',
        periodStart,
        paymentIntentObject({
          id: piId,
          customer: c.id,
          amount,
          currency: inv.currency,
          status: 'requires_payment_method',
          created: periodStart,
          invoice: invId,
          failureMessage: 'Your card was declined.',
        }),
      );
      emit('invoice.payment_failed', periodStart, invoiceObject({ ...inv, attemptCount: 1 }, apiVersion));
      state.status = 'past_due';
      emit('customer.subscription.updated', periodStart, snap(), { status: 'active' });
      if (sim.unrecoverable) {
        const giveUp = periodStart + 14 * DAY;
        state.status = 'unpaid';
        emit('customer.subscription.updated', giveUp - DAY, snap(), { status: 'past_due' });
        emit(
          'invoice.marked_uncollectible',
          giveUp - DAY,
          invoiceObject({ ...inv, status: 'uncollectible', attemptCount: 4 }, apiVersion),
        );
        state.status = 'canceled';
        state.canceledAt = giveUp;
        state.endedAt = giveUp;
        emit('customer.subscription.deleted', giveUp, snap(), { status: 'unpaid' });
        return;
      }
      paidAt = periodStart + 3 * DAY;
      state.status = 'active';
    }
    if (amount > 0) {
      emit(
        'payment_intent.succeeded',
        paidAt,
        paymentIntentObject({
          id: piId,
          customer: c.id,
          amount,
          currency: inv.currency,
          status: 'succeeded',
          created: periodStart,
          invoice: invId,
        }),
      );
    }
    emit(
      'invoice.paid',
      paidAt,
      invoiceObject(
        { ...inv, status: 'paid', amountPaid: amount, paidAt, attemptCount: failed.has(period) ? 2 : 1 },
        apiVersion,
      ),
    );
    if (paidAt !== periodStart) emit('customer.subscription.updated', paidAt, snap(), { status: 'past_due' });
    const refund = sim.refunds?.find((r) => r.period === period);
    if (refund && amount > 0) {
      const refundAt = paidAt + 2 * DAY;
      emit(
        'charge.refunded',
        refundAt,
        chargeObject({
          id: `ch_${piId.slice(3)}`,
          paymentIntent: piId,
          customer: c.id,
          amount,
          currency: inv.currency,
          created: paidAt,
          refunds: [
            {
              id: `re_${piId.slice(3)}`,
              amount: Math.max(1, Math.round(amount * refund.fraction)),
              created: refundAt,
            },
          ],
        }),
      );
    }
    // Mid-period plan changes.
    for (const change of pendingChanges) {
      if (change.at > periodStart && change.at < periodEnd && change.at < until) {
        state.items = [
          { id: itemId, price: change.price, quantity: change.quantity, created: state.items[0]!.created },
        ];
        emit('customer.subscription.updated', change.at, snap(), { items: {} });
      }
    }
    if (sim.cancelRequestedAt !== undefined && sim.cancelRequestedAt < periodEnd && !cancelEmitted) {
      cancelEmitted = true;
      state.cancelAtPeriodEnd = true;
      state.canceledAt = Math.max(sim.cancelRequestedAt, periodStart);
      emit('customer.subscription.updated', state.canceledAt, snap(), { cancel_at_period_end: false });
      state.status = 'canceled';
      state.endedAt = periodEnd;
      emit('customer.subscription.deleted', periodEnd, snap(), { status: 'active' });
      return;
    }
    periodStart = periodEnd;
    period++;
  }
}
