import { LedgerError } from '../errors.ts';
import { type ApplyOptions, applyStripeObject, type Queryable } from '../store/apply.ts';
import type { StripeEventEnvelope } from '../stripe/schemas.ts';

/**
 * Handlers per Stripe event type. Processing an event runs every handler registered for its type,
 * in registration order, inside the event's transaction (all or nothing). Types with no handler
 * are stored and marked `ignored`.
 *
 * Extension point: `registry.on('checkout.session.completed', handler)` adds a handler after the
 * built-in one, without touching the dispatcher (wallet top-ups, for instance).
 */
export interface EventContext {
  /** The transaction's client: write through it so the effect commits with the event. */
  client: Queryable;
  event: StripeEventEnvelope;
  /** The object to use: the payload's `data.object`, or the re-fetched object when re-fetching is on. */
  object: Record<string, unknown>;
  /** Options for `applyStripeObject` derived from the event (time, id, deleted). */
  apply: ApplyOptions;
}

export type EventHandler = (ctx: EventContext) => Promise<void>;

export interface EventRegistry {
  /** Adds a handler for one type, several types, or a prefix pattern such as `product.*`. */
  on(types: string | string[], handler: EventHandler): EventRegistry;
  handlersFor(type: string): EventHandler[];
  /** Every registered type or pattern. */
  types(): string[];
}

export function createEventRegistry(): EventRegistry {
  const entries: { pattern: string; handler: EventHandler }[] = [];
  const matches = (pattern: string, type: string) =>
    pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
  const registry: EventRegistry = {
    on(types, handler) {
      for (const pattern of Array.isArray(types) ? types : [types]) entries.push({ pattern, handler });
      return registry;
    },
    handlersFor(type) {
      const out: EventHandler[] = [];
      for (const e of entries) if (matches(e.pattern, type) && !out.includes(e.handler)) out.push(e.handler);
      return out;
    },
    types() {
      return [...new Set(entries.map((e) => e.pattern))];
    },
  };
  return registry;
}

/** The built-in handler: mirror `data.object` through the ordering guard. */
export const mirrorObject: EventHandler = async ({ client, object, apply }) => {
  const r = await applyStripeObject(client, object, apply);
  if (!r.ok) throw new LedgerError(r.error.code, r.error.message);
};

/** The event types the ledger mirrors out of the box. */
export const builtInEventTypes = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'payment_intent.created',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.processing',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.updated',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'customer.discount.created',
  'customer.discount.updated',
  'customer.discount.deleted',
  'coupon.created',
  'coupon.updated',
  'coupon.deleted',
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'charge.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'product.created',
  'product.updated',
  'product.deleted',
  'price.created',
  'price.updated',
  'price.deleted',
];

/** A registry with the built-in mirroring handlers; add your own with `.on(...)`. */
export function defaultEventRegistry(): EventRegistry {
  return createEventRegistry().on(builtInEventTypes, mirrorObject);
}
