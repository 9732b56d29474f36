import { createHash } from 'node:crypto';
import { connectClient } from '@org/db';
import type pg from 'pg';
import { err, type LedgerError, ledgerError, ok, type Result } from '../errors.ts';
import type { StripeApi, StripeCallError } from '../stripe-api/client.ts';
import { walletMetadata } from './recharge.ts';

/**
 * Checkout creation without duplicates: one open Checkout Session per request (customer + price,
 * or wallet + top-up amount). A second request while the first session is open returns it. Requests
 * for the same key are serialised with a transaction-scoped advisory lock, and the Stripe call
 * carries an idempotency key derived from the request and the number of earlier sessions.
 */
export type CheckoutRequest =
  | {
      kind: 'price';
      stripeCustomerId: string;
      priceId: string;
      quantity?: number;
      mode?: 'payment' | 'subscription';
    }
  | { kind: 'top_up'; walletId: string; amount: number };

export interface CheckoutOptions {
  successUrl: string;
  cancelUrl?: string;
  /** Sessions expiring before this instant are not reused. */
  asOf: Date;
}

export interface CheckoutSession {
  id: string;
  url: string | null;
  reused: boolean;
  expiresAt: Date | null;
}

export type CheckoutError =
  | LedgerError<'not_found' | 'invalid_input'>
  | (LedgerError<'stripe_error'> & { stripe: StripeCallError });

interface StripeSession {
  id: string;
  url: string | null;
  status: string | null;
  expires_at: number;
}

export async function createCheckoutSession(
  pool: pg.Pool,
  api: StripeApi,
  request: CheckoutRequest,
  options: CheckoutOptions,
): Promise<Result<CheckoutSession, CheckoutError>> {
  const client = await connectClient(pool);
  let broken: Error | undefined;
  try {
    // Durable: the session row is what keeps a second request from creating another session.
    await client.query('begin; set local synchronous_commit = on');
    let customer: string;
    let currency: string | null = null;
    let walletId: string | null = null;
    if (request.kind === 'top_up') {
      if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
        await client.query('rollback');
        return err(ledgerError('invalid_input', 'top-up amount must be a positive integer of minor units'));
      }
      const { rows } = await client.query<{ stripe_customer_id: string | null; currency: string }>(
        'select stripe_customer_id, currency from public.wallets where id = $1',
        [request.walletId],
      );
      if (!rows[0]?.stripe_customer_id) {
        await client.query('rollback');
        return err(
          ledgerError('not_found', `wallet ${request.walletId} does not exist or has no Stripe customer`),
        );
      }
      customer = rows[0].stripe_customer_id;
      currency = rows[0].currency;
      walletId = request.walletId;
    } else customer = request.stripeCustomerId;

    const requestKey =
      request.kind === 'top_up'
        ? `top_up:${request.walletId}:${request.amount}`
        : `price:${request.stripeCustomerId}:${request.priceId}:${request.quantity ?? 1}:${request.mode ?? 'subscription'}`;
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 17))', [requestKey]);
    const { rows: open } = await client.query<{ id: string; url: string | null; expires_at: Date | null }>(
      `select id, url, expires_at from public.wallet_checkout_sessions where request_key = $1 and status = 'open'`,
      [requestKey],
    );
    const existing = open[0];
    if (existing) {
      const live = existing.expires_at === null || existing.expires_at > options.asOf;
      const remote = live ? await api.call((s) => s.checkout.sessions.retrieve(existing.id)) : null;
      const status = remote?.ok ? (remote.value as unknown as StripeSession).status : 'expired';
      if (status === 'open') {
        await client.query('commit');
        return ok({ id: existing.id, url: existing.url, reused: true, expiresAt: existing.expires_at });
      }
      await client.query('update public.wallet_checkout_sessions set status = $2 where id = $1', [
        existing.id,
        status === 'complete' ? 'complete' : 'expired',
      ]);
    }
    const { rows: countRows } = await client.query<{ n: string }>(
      'select count(*) as n from public.wallet_checkout_sessions where request_key = $1',
      [requestKey],
    );
    const stripeKey = `checkout:${createHash('sha256').update(requestKey).digest('hex').slice(0, 32)}:${countRows[0]!.n}`;
    const metadata: Record<string, string> = walletId
      ? { [walletMetadata.walletId]: walletId, [walletMetadata.topUp]: 'true' }
      : {};
    const created = await api.call((s) =>
      s.checkout.sessions.create(
        request.kind === 'top_up'
          ? {
              mode: 'payment',
              customer,
              success_url: options.successUrl,
              ...(options.cancelUrl ? { cancel_url: options.cancelUrl } : {}),
              line_items: [
                {
                  quantity: 1,
                  price_data: {
                    currency: currency!,
                    unit_amount: request.amount,
                    product_data: { name: 'Wallet top-up' },
                  },
                },
              ],
              metadata,
              payment_intent_data: { metadata },
            }
          : {
              mode: request.mode ?? 'subscription',
              customer,
              success_url: options.successUrl,
              ...(options.cancelUrl ? { cancel_url: options.cancelUrl } : {}),
              line_items: [{ price: request.priceId, quantity: request.quantity ?? 1 }],
            },
        { idempotencyKey: stripeKey },
      ),
    );
    if (!created.ok) {
      await client.query('commit');
      return err(ledgerError('stripe_error', created.error.message, { stripe: created.error }));
    }
    const session = created.value as unknown as StripeSession;
    const expiresAt = session.expires_at ? new Date(session.expires_at * 1000) : null;
    await client.query(
      `insert into public.wallet_checkout_sessions (id, request_key, stripe_customer_id, wallet_id, price_id, amount, currency, url, status, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9) on conflict (id) do nothing`,
      [
        session.id,
        requestKey,
        customer,
        walletId,
        request.kind === 'price' ? request.priceId : null,
        request.kind === 'top_up' ? request.amount : null,
        currency,
        session.url,
        expiresAt,
      ],
    );
    await client.query('commit');
    return ok({ id: session.id, url: session.url, reused: false, expiresAt });
  } catch (error) {
    await client.query('rollback').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
