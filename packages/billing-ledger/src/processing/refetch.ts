import type Stripe from 'stripe';
import type { ObjectFetcher } from './processor.ts';

/**
 * An `ObjectFetcher` over the Stripe SDK, for re-fetching (LEDGER_REFETCH=always): each mirrored
 * kind with a retrieve endpoint is read by id (charges with their refunds expanded). Kinds Stripe
 * cannot retrieve alone (discounts) and objects Stripe no longer has (404) fall back to the
 * payload; any other failure (rate limit, outage) throws, so the event is retried rather than
 * applied from a payload the deployment chose not to trust. The processor turns the SDK's objects
 * back into wire JSON.
 */
export function stripeObjectFetcher(stripe: Stripe): ObjectFetcher {
  const retrieve: Record<string, (id: string) => Promise<unknown>> = {
    customer: (id) => stripe.customers.retrieve(id),
    product: (id) => stripe.products.retrieve(id),
    price: (id) => stripe.prices.retrieve(id),
    coupon: (id) => stripe.coupons.retrieve(id),
    subscription: (id) => stripe.subscriptions.retrieve(id),
    invoice: (id) => stripe.invoices.retrieve(id),
    payment_intent: (id) => stripe.paymentIntents.retrieve(id),
    charge: (id) => stripe.charges.retrieve(id, { expand: ['refunds'] }),
    refund: (id) => stripe.refunds.retrieve(id),
    dispute: (id) => stripe.disputes.retrieve(id),
    'checkout.session': (id) => stripe.checkout.sessions.retrieve(id),
  };
  return async ({ id, object }) => {
    const fn = retrieve[object];
    if (!fn) return null;
    try {
      return (await fn(id)) as Record<string, unknown>;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  };
}
