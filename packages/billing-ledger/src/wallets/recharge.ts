import { err, type LedgerError, ledgerError, ok, type Result } from '../errors.ts';
import type { StripeApi, StripeCallError } from '../stripe-api/client.ts';
import { credit, type DeductInput, deduct, type Queryable } from './store.ts';

/**
 * Auto-recharge. A wallet below its recharge threshold has one recharge per *cycle*: the cycle's
 * row in `wallet_recharges` is claimed once (`public.wallet_claim_recharge`, unique on wallet +
 * cycle), and its Stripe payment intent is created with the idempotency key
 * `wallet-recharge:<wallet id>:<cycle>`, so however many deductions trigger it at once, and however
 * often a job is retried, Stripe charges at most once per cycle. The settled payment credits the
 * wallet under the same key (from this job or from the `payment_intent.succeeded` webhook, whichever
 * comes first) and opens the next cycle. A declined payment is recorded on the row (`failed`,
 * `last_error`) and the job is retried by the queue: the retry confirms the SAME payment intent again
 * instead of creating another.
 */

export const WALLET_RECHARGE_QUEUE = 'wallet-recharges';

/** Metadata that marks a Stripe payment as a wallet recharge / top-up. */
export const walletMetadata = {
  walletId: 'org_wallet_id',
  topUp: 'org_wallet_top_up',
  rechargeCycle: 'org_wallet_recharge_cycle',
} as const;

export interface RechargeClaim {
  walletId: string;
  cycle: number;
  amount: number;
  currency: string;
  stripeCustomerId: string | null;
  stripeIdempotencyKey: string;
  status: 'pending' | 'processing' | 'succeeded' | 'failed';
  attempts: number;
  /** True for the one caller that created the cycle's row. */
  created: boolean;
}

/** Claims the wallet's current recharge cycle if its balance is below the threshold (null: none due). */
export async function claimRecharge(db: Queryable, walletId: string): Promise<RechargeClaim | null> {
  const { rows } = await db.query<{
    wallet_id: string;
    cycle: number;
    amount: string;
    currency: string;
    stripe_customer_id: string | null;
    stripe_idempotency_key: string;
    status: RechargeClaim['status'];
    attempts: number;
    created: boolean;
  }>('select * from public.wallet_claim_recharge($1)', [walletId]);
  const r = rows[0];
  if (!r) return null;
  return {
    walletId: r.wallet_id,
    cycle: r.cycle,
    amount: Number(r.amount),
    currency: r.currency,
    stripeCustomerId: r.stripe_customer_id,
    stripeIdempotencyKey: r.stripe_idempotency_key,
    status: r.status,
    attempts: r.attempts,
    created: r.created,
  };
}

export interface RechargeOutcome {
  walletId: string;
  cycle: number;
  status: 'succeeded' | 'already_settled';
  paymentIntentId: string | null;
  balance: number | null;
}

export type RechargeError =
  | LedgerError<'not_found' | 'recharge_not_configured'>
  | (LedgerError<'stripe_error'> & { stripe: StripeCallError; paymentIntentId: string | null });

interface PaymentIntentLike {
  id: string;
  status: string;
  amount: number;
  amount_received?: number;
}

/**
 * Charges one recharge cycle on Stripe and credits the wallet. Safe to run concurrently and
 * repeatedly for the same cycle. A decline returns `stripe_error` after recording it; throw or
 * return it to the queue so it retries.
 */
export async function runRecharge(
  db: Queryable,
  api: StripeApi,
  job: { walletId: string; cycle: number },
): Promise<Result<RechargeOutcome, RechargeError>> {
  const { rows } = await db.query<{
    amount: string;
    currency: string;
    status: string;
    attempts: number;
    stripe_idempotency_key: string;
    stripe_payment_intent_id: string | null;
    stripe_customer_id: string | null;
  }>(
    `update public.wallet_recharges r set attempts = r.attempts + 1, status = case when r.status = 'succeeded' then r.status else 'processing' end, updated_at = now()
       from public.wallets w
      where r.wallet_id = $1 and r.cycle = $2 and w.id = r.wallet_id
      returning r.amount, r.currency, r.status, r.attempts, r.stripe_idempotency_key, r.stripe_payment_intent_id, w.stripe_customer_id`,
    [job.walletId, job.cycle],
  );
  const row = rows[0];
  if (!row) return err(ledgerError('not_found', `no recharge cycle ${job.cycle} for wallet ${job.walletId}`));
  if (row.status === 'succeeded')
    return ok({
      walletId: job.walletId,
      cycle: job.cycle,
      status: 'already_settled',
      paymentIntentId: row.stripe_payment_intent_id,
      balance: null,
    });
  if (!row.stripe_customer_id) {
    await recordFailure(db, job, null, 'the wallet has no Stripe customer to charge');
    return err(ledgerError('recharge_not_configured', `wallet ${job.walletId} has no Stripe customer`));
  }
  const amount = Number(row.amount);
  const metadata = {
    [walletMetadata.walletId]: job.walletId,
    [walletMetadata.rechargeCycle]: String(job.cycle),
  };

  let paymentIntentId = row.stripe_payment_intent_id;
  let result: Awaited<ReturnType<StripeApi['call']>> & { value?: unknown };
  if (paymentIntentId) {
    // Retry of a recorded attempt: the same payment intent, never a new one.
    const existing = await api.call((s) => s.paymentIntents.retrieve(paymentIntentId!));
    if (existing.ok && (existing.value as PaymentIntentLike).status === 'succeeded') result = existing;
    else
      result = await api.call((s) =>
        s.paymentIntents.confirm(
          paymentIntentId!,
          { off_session: true },
          { idempotencyKey: `${row.stripe_idempotency_key}:confirm:${row.attempts}` },
        ),
      );
  } else {
    result = await api.call((s) =>
      s.paymentIntents.create(
        {
          amount,
          currency: row.currency,
          customer: row.stripe_customer_id!,
          confirm: true,
          off_session: true,
          metadata,
          description: 'Wallet auto-recharge',
        },
        { idempotencyKey: row.stripe_idempotency_key },
      ),
    );
  }
  if (!result.ok) {
    paymentIntentId = paymentIntentId ?? result.error.paymentIntentId;
    await recordFailure(db, job, paymentIntentId, result.error.message);
    return err(
      ledgerError(
        'stripe_error',
        `recharge of wallet ${job.walletId} cycle ${job.cycle} failed: ${result.error.message}`,
        { stripe: result.error, paymentIntentId },
      ),
    );
  }
  const pi = result.value as PaymentIntentLike;
  await db.query(
    'update public.wallet_recharges set stripe_payment_intent_id = $3, updated_at = now() where wallet_id = $1 and cycle = $2',
    [job.walletId, job.cycle, pi.id],
  );
  if (pi.status !== 'succeeded') {
    await recordFailure(db, job, pi.id, `payment intent ${pi.id} is ${pi.status}`);
    return err(
      ledgerError('stripe_error', `recharge payment ${pi.id} is ${pi.status}`, {
        stripe: ledgerError('stripe_error', `payment intent ${pi.status}`, {
          type: null,
          stripeCode: pi.status,
          status: null,
          paymentIntentId: pi.id,
        }),
        paymentIntentId: pi.id,
      }),
    );
  }
  const credited = await creditRecharge(db, {
    walletId: job.walletId,
    cycle: job.cycle,
    amount,
    paymentIntentId: pi.id,
  });
  if (!credited.ok) return err(ledgerError('not_found', credited.error.message));
  return ok({
    walletId: job.walletId,
    cycle: job.cycle,
    status: 'succeeded',
    paymentIntentId: pi.id,
    balance: credited.value.balance,
  });
}

/** Credits a settled recharge; the key is shared with the webhook path so it applies once. */
export function creditRecharge(
  db: Queryable,
  input: { walletId: string; cycle: number; amount: number; paymentIntentId: string },
) {
  return credit(db, {
    walletId: input.walletId,
    amount: input.amount,
    idempotencyKey: `wallet-recharge:${input.walletId}:${input.cycle}`,
    kind: 'recharge',
    reason: 'auto-recharge',
    metadata: { stripe_payment_intent: input.paymentIntentId },
    rechargeCycle: input.cycle,
  });
}

async function recordFailure(
  db: Queryable,
  job: { walletId: string; cycle: number },
  paymentIntentId: string | null,
  message: string,
) {
  await db.query(
    `update public.wallet_recharges set status = 'failed', last_error = $3, stripe_payment_intent_id = coalesce($4, stripe_payment_intent_id), updated_at = now()
      where wallet_id = $1 and cycle = $2 and status <> 'succeeded'`,
    [job.walletId, job.cycle, message.slice(0, 2000), paymentIntentId],
  );
}

/** Enqueues a recharge job (typically pg-boss `send` or `sendInTransaction`). */
export type RechargeSender = (
  job: { walletId: string; cycle: number },
  singletonKey: string,
) => Promise<unknown>;

/**
 * Call after a deduction answered `needsRecharge`: claims the cycle and, for the one caller that
 * created it, enqueues its job. Returns the claim (null when no recharge is due).
 */
export async function requestRecharge(
  db: Queryable,
  walletId: string,
  send: RechargeSender,
): Promise<RechargeClaim | null> {
  const claim = await claimRecharge(db, walletId);
  if (claim?.created) await send({ walletId, cycle: claim.cycle }, claim.stripeIdempotencyKey);
  return claim;
}

/**
 * `deduct`, then, when the answer says `needsRecharge` (applied or rejected), claim the recharge
 * cycle and enqueue its job once (see `requestRecharge`). The deduction's result is returned as is.
 */
export async function deductAndRecharge(
  db: Queryable,
  input: DeductInput,
  send: RechargeSender,
): Promise<Awaited<ReturnType<typeof deduct>>> {
  const r = await deduct(db, input);
  const needs = r.ok
    ? r.value.needsRecharge
    : r.error.code === 'debt_limit_exceeded' && r.error.needsRecharge;
  if (needs) await requestRecharge(db, input.walletId, send);
  return r;
}
