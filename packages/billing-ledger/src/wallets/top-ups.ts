import { LedgerError } from '../errors.ts';
import type { EventHandler, EventRegistry } from '../processing/registry.ts';
import { creditRecharge, walletMetadata } from './recharge.ts';
import { credit, type Queryable } from './store.ts';

/**
 * Wallet top-ups through the ledger's event processing: a `checkout.session.completed` (paid) or
 * `payment_intent.succeeded` whose metadata carries `org_wallet_id` (+ `org_wallet_top_up: "true"`,
 * or `org_wallet_recharge_cycle` for auto-recharges) credits that wallet inside the event's
 * transaction. The credit's idempotency key is the payment intent id, so the session event, the
 * payment intent event, duplicates and replays all credit once.
 */
export const walletEventTypes = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'payment_intent.succeeded',
];

type Meta = Record<string, string | undefined>;

export async function applyWalletPayment(
  client: Queryable,
  object: Record<string, unknown>,
  eventId: string,
): Promise<'credited' | 'not_a_wallet_payment'> {
  const metadata = (object.metadata ?? {}) as Meta;
  const walletId = metadata[walletMetadata.walletId];
  if (!walletId) return 'not_a_wallet_payment';
  let amount: number;
  let currency: string;
  let paymentIntentId: string;
  if (object.object === 'checkout.session') {
    if (object.payment_status !== 'paid' || metadata[walletMetadata.topUp] !== 'true')
      return 'not_a_wallet_payment';
    amount = Number(object.amount_total);
    currency = String(object.currency);
    const pi = object.payment_intent;
    paymentIntentId =
      typeof pi === 'string'
        ? pi
        : typeof pi === 'object' && pi !== null
          ? String((pi as { id: string }).id)
          : String(object.id);
    await client.query(`update public.wallet_checkout_sessions set status = 'complete' where id = $1`, [
      object.id,
    ]);
  } else if (object.object === 'payment_intent') {
    if (object.status !== 'succeeded') return 'not_a_wallet_payment';
    amount = Number(object.amount_received ?? object.amount);
    currency = String(object.currency);
    paymentIntentId = String(object.id);
    const cycle = metadata[walletMetadata.rechargeCycle];
    if (cycle !== undefined) {
      const r = await creditRecharge(client, { walletId, cycle: Number(cycle), amount, paymentIntentId });
      if (!r.ok)
        throw new LedgerError(
          'invalid_state',
          `recharge credit for wallet ${walletId} (event ${eventId}): ${r.error.message}`,
        );
      return 'credited';
    }
    if (metadata[walletMetadata.topUp] !== 'true') return 'not_a_wallet_payment';
  } else return 'not_a_wallet_payment';

  const { rows } = await client.query<{ currency: string }>(
    'select currency from public.wallets where id = $1',
    [walletId],
  );
  if (!rows[0])
    throw new LedgerError('not_found', `top-up for unknown wallet ${walletId} (event ${eventId})`);
  if (rows[0].currency !== currency.toLowerCase())
    throw new LedgerError(
      'invalid_state',
      `top-up in ${currency} for a ${rows[0].currency} wallet ${walletId} (event ${eventId})`,
    );
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new LedgerError(
      'invalid_payload',
      `top-up amount ${amount} is not a positive integer (event ${eventId})`,
    );
  const r = await credit(client, {
    walletId,
    amount,
    idempotencyKey: `stripe-top-up:${paymentIntentId}`,
    kind: 'top_up',
    reason: 'Stripe top-up',
    metadata: { stripe_event: eventId, stripe_object: object.id, stripe_payment_intent: paymentIntentId },
  });
  if (!r.ok)
    throw new LedgerError(
      'invalid_state',
      `top-up of wallet ${walletId} (event ${eventId}): ${r.error.message}`,
    );
  return 'credited';
}

export const walletTopUpHandler: EventHandler = async ({ client, event, object }) => {
  await applyWalletPayment(client, object, event.id);
};

/** Adds the wallet top-up handler to a ledger event registry (after the built-in mirroring). */
export function registerWalletHandlers(registry: EventRegistry): EventRegistry {
  return registry.on(walletEventTypes, walletTopUpHandler);
}
