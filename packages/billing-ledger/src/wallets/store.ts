import { err, type LedgerError, ledgerError, ok, type Result } from '../errors.ts';
import type { Queryable } from '../store/apply.ts';

/** A pg Pool, PoolClient or Client (the ledger's own Queryable). */
export type { Queryable };

export interface Wallet {
  id: string;
  ownerId: string;
  currency: string;
  balance: number;
  debtLimit: number;
  rechargeThreshold: number | null;
  rechargeAmount: number | null;
  stripeCustomerId: string | null;
  rechargeCycle: number;
}

export interface OpenWalletInput {
  ownerId: string;
  currency: string;
  /** Minor units the balance may go below zero; default 500. */
  debtLimit?: number;
  /** Auto-recharge: when the balance falls below `rechargeThreshold`, charge `rechargeAmount`. */
  recharge?: { threshold: number; amount: number };
  stripeCustomerId?: string;
}

export interface WalletMovement {
  /** Journal id of the transaction (null for a rejection). */
  transactionId: number | null;
  balance: number;
  /** How much more can be deducted before the debt limit: balance + debt_limit. */
  debtCapacity: number;
  needsRecharge: boolean;
  /** True when the idempotency key was seen before and this is the first answer again. */
  replayed: boolean;
}

/** A deduction's or credit's failure: a `LedgerError`; a rejection carries the wallet's state. */
export type DeductionError =
  | (LedgerError<'debt_limit_exceeded'> & Omit<WalletMovement, 'transactionId'>)
  | LedgerError<'not_found' | 'idempotency_conflict' | 'invalid_input'>;

export interface DeductInput {
  walletId: string;
  /** Positive minor units. */
  amount: number;
  idempotencyKey: string;
  reason?: string;
  metadata?: Record<string, unknown>;
  /** 'adjustment' books against the adjustment account instead of usage. */
  kind?: 'deduction' | 'adjustment';
}

export interface CreditInput {
  walletId: string;
  amount: number;
  idempotencyKey: string;
  kind?: 'top_up' | 'recharge' | 'adjustment' | 'refund';
  reason?: string;
  metadata?: Record<string, unknown>;
  /** For kind 'recharge': the recharge cycle this credit settles. */
  rechargeCycle?: number;
}

interface WalletRow {
  id: string;
  owner_id: string;
  currency: string;
  balance: string | number;
  debt_limit: string | number;
  recharge_threshold: string | number | null;
  recharge_amount: string | number | null;
  stripe_customer_id: string | null;
  recharge_cycle: number;
}

const num = (v: string | number) => Number(v);

export function toWallet(r: WalletRow): Wallet {
  return {
    id: r.id,
    ownerId: r.owner_id,
    currency: r.currency,
    balance: num(r.balance),
    debtLimit: num(r.debt_limit),
    rechargeThreshold: r.recharge_threshold === null ? null : num(r.recharge_threshold),
    rechargeAmount: r.recharge_amount === null ? null : num(r.recharge_amount),
    stripeCustomerId: r.stripe_customer_id,
    rechargeCycle: r.recharge_cycle,
  };
}

const isMinorUnits = (n: number) => Number.isSafeInteger(n) && n > 0;

/** Opens the wallet of an owner in a currency, or returns the existing one unchanged. */
export async function openWallet(
  db: Queryable,
  input: OpenWalletInput,
): Promise<Result<Wallet, LedgerError<'invalid_input' | 'not_found'>>> {
  if (!/^[a-zA-Z]{3}$/.test(input.currency))
    return err(ledgerError('invalid_input', `currency must be an ISO 4217 code, got "${input.currency}"`));
  if (input.debtLimit !== undefined && !(Number.isSafeInteger(input.debtLimit) && input.debtLimit >= 0))
    return err(ledgerError('invalid_input', 'debtLimit must be a non-negative integer of minor units'));
  if (
    input.recharge &&
    !(Number.isSafeInteger(input.recharge.threshold) && isMinorUnits(input.recharge.amount))
  )
    return err(ledgerError('invalid_input', 'recharge needs an integer threshold and a positive amount'));
  const { rows } = await db.query<WalletRow>('select * from public.wallet_open($1, $2, $3, $4, $5, $6)', [
    input.ownerId,
    input.currency,
    input.debtLimit ?? 500,
    input.recharge?.threshold ?? null,
    input.recharge?.amount ?? null,
    input.stripeCustomerId ?? null,
  ]);
  return ok(toWallet(rows[0]!));
}

export async function getWallet(
  db: Queryable,
  walletId: string,
): Promise<Result<Wallet, LedgerError<'invalid_input' | 'not_found'>>> {
  const { rows } = await db.query<WalletRow>('select * from public.wallets where id = $1', [walletId]);
  return rows[0] ? ok(toWallet(rows[0])) : err(ledgerError('not_found', `no wallet ${walletId}`));
}

export async function findWallet(db: Queryable, ownerId: string, currency: string): Promise<Wallet | null> {
  const { rows } = await db.query<WalletRow>(
    'select * from public.wallets where owner_id = $1 and currency = $2',
    [ownerId, currency.toLowerCase()],
  );
  return rows[0] ? toWallet(rows[0]) : null;
}

/** Changes the debt limit or recharge settings (not the balance). */
export async function configureWallet(
  db: Queryable,
  walletId: string,
  settings: {
    debtLimit?: number;
    recharge?: { threshold: number; amount: number } | null;
    stripeCustomerId?: string | null;
  },
): Promise<Result<Wallet, LedgerError<'invalid_input' | 'not_found'>>> {
  const { rows } = await db.query<WalletRow>(
    `update public.wallets set
       debt_limit = coalesce($2, debt_limit),
       recharge_threshold = case when $3::boolean then $4 else recharge_threshold end,
       recharge_amount = case when $3::boolean then $5 else recharge_amount end,
       stripe_customer_id = case when $6::boolean then $7 else stripe_customer_id end,
       updated_at = now()
     where id = $1 returning *`,
    [
      walletId,
      settings.debtLimit ?? null,
      settings.recharge !== undefined,
      settings.recharge?.threshold ?? null,
      settings.recharge?.amount ?? null,
      settings.stripeCustomerId !== undefined,
      settings.stripeCustomerId ?? null,
    ],
  );
  return rows[0] ? ok(toWallet(rows[0])) : err(ledgerError('not_found', `no wallet ${walletId}`));
}

interface MovementRow {
  status: 'applied' | 'rejected' | 'idempotency_conflict' | 'not_found';
  transaction_id: string | number | null;
  balance: string | number | null;
  debt_capacity: string | number | null;
  needs_recharge: boolean | null;
  replayed: boolean;
}

function movement(r: MovementRow): WalletMovement {
  return {
    transactionId: r.transaction_id === null ? null : num(r.transaction_id),
    balance: num(r.balance ?? 0),
    debtCapacity: num(r.debt_capacity ?? 0),
    needsRecharge: Boolean(r.needs_recharge),
    replayed: r.replayed,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the SQL functions would refuse as a whole call, answered per item instead. */
function invalidMovement(input: {
  walletId: string;
  amount: number;
  idempotencyKey: string;
}): LedgerError<'invalid_input'> | null {
  if (!UUID.test(input.walletId))
    return ledgerError('invalid_input', `walletId must be a wallet id (UUID), got "${input.walletId}"`);
  if (!isMinorUnits(input.amount))
    return ledgerError(
      'invalid_input',
      `amount must be a positive integer of minor units, got ${input.amount}`,
    );
  if (!input.idempotencyKey || input.idempotencyKey.length > 300)
    return ledgerError('invalid_input', 'idempotencyKey is required (1 to 300 characters)');
  return null;
}

/**
 * Deducts `amount` from a wallet in one SQL call (`public.wallet_deduct`). Rejected with
 * `debt_limit_exceeded` when the balance would fall below -debt_limit (the balance is unchanged);
 * a repeated idempotency key returns the first answer and never deducts twice.
 */
export async function deduct(
  db: Queryable,
  input: DeductInput,
): Promise<Result<WalletMovement, DeductionError>> {
  const invalid = invalidMovement(input);
  if (invalid) return err(invalid);
  const { rows } = await db.query<MovementRow>('select * from public.wallet_deduct($1, $2, $3, $4, $5, $6)', [
    input.walletId,
    input.amount,
    input.idempotencyKey,
    input.reason ?? null,
    JSON.stringify(input.metadata ?? {}),
    input.kind ?? 'deduction',
  ]);
  return toResult(rows[0]!, input.walletId, input.idempotencyKey, input.amount);
}

/** Items per `public.wallet_deduct_many` call: one round trip and one database transaction each. */
export const DEDUCT_MANY_CHUNK = 100;

/**
 * Deducts a list of items in order, many per SQL call (`public.wallet_deduct_many`): one round
 * trip and one database transaction per `chunkSize` items (default 100) instead of one per item.
 * For callers that buffer usage, such as a meter flushing its deductions. Answers are in input
 * order and each is exactly what `deduct` would answer for that item called once per item in the
 * same order: the debt limit is checked item by item, a key repeated (earlier in the list or in an
 * earlier call) gets the first answer and never deducts twice. Invalid items get `invalid_input`
 * and are not sent. A database failure throws; the chunks before it are committed, and calling
 * again with the same list is safe (every item is idempotent).
 */
export async function deductMany(
  db: Queryable,
  inputs: readonly DeductInput[],
  options: { chunkSize?: number } = {},
): Promise<Result<WalletMovement, DeductionError>[]> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEDUCT_MANY_CHUNK));
  const results: Result<WalletMovement, DeductionError>[] = new Array(inputs.length);
  const valid: number[] = [];
  inputs.forEach((input, i) => {
    const invalid = invalidMovement(input);
    if (invalid) results[i] = err(invalid);
    else valid.push(i);
  });
  for (let start = 0; start < valid.length; start += chunkSize) {
    const chunk = valid.slice(start, start + chunkSize);
    const items = chunk.map((i) => {
      const input = inputs[i]!;
      return {
        wallet_id: input.walletId,
        amount: input.amount,
        idempotency_key: input.idempotencyKey,
        reason: input.reason ?? null,
        metadata: input.metadata ?? {},
        kind: input.kind ?? 'deduction',
      };
    });
    const { rows } = await db.query<MovementRow & { item: number }>(
      'select * from public.wallet_deduct_many($1::jsonb)',
      [JSON.stringify(items)],
    );
    for (const row of rows) {
      const i = chunk[row.item - 1]!;
      const input = inputs[i]!;
      results[i] = toResult(row, input.walletId, input.idempotencyKey, input.amount);
    }
  }
  return results;
}

function toResult(
  r: MovementRow,
  walletId: string,
  key: string,
  amount: number,
): Result<WalletMovement, DeductionError> {
  switch (r.status) {
    case 'applied':
      return ok(movement(r));
    case 'rejected': {
      const { transactionId: _, ...m } = movement(r);
      return err(
        ledgerError(
          'debt_limit_exceeded',
          `deducting ${amount} would take the balance ${m.balance} below the debt limit (capacity ${m.debtCapacity})`,
          m,
        ),
      );
    }
    case 'idempotency_conflict':
      return err(
        ledgerError(
          'idempotency_conflict',
          `idempotency key "${key}" was already used with a different amount or kind`,
        ),
      );
    default:
      return err(ledgerError('not_found', `no wallet ${walletId}`));
  }
}

/** Credits a wallet (top-up, settled recharge, refund, adjustment); idempotent on the key. */
export async function credit(
  db: Queryable,
  input: CreditInput,
): Promise<Result<WalletMovement, DeductionError>> {
  const invalid = invalidMovement(input);
  if (invalid) return err(invalid);
  const { rows } = await db.query<MovementRow>(
    'select * from public.wallet_credit($1, $2, $3, $4, $5, $6, $7)',
    [
      input.walletId,
      input.amount,
      input.idempotencyKey,
      input.kind ?? 'top_up',
      input.reason ?? null,
      JSON.stringify(input.metadata ?? {}),
      input.rechargeCycle ?? null,
    ],
  );
  return toResult(rows[0]!, input.walletId, input.idempotencyKey, input.amount);
}

export interface WalletTransaction {
  id: number;
  kind: string;
  idempotencyKey: string;
  amount: number;
  balanceAfter: number;
  debtLimit: number;
  reason: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** A `wallet_transactions` row as pg returns it. */
export interface WalletTransactionRow {
  id: string;
  kind: string;
  idempotency_key: string;
  amount: string;
  balance_after: string;
  debt_limit: string;
  reason: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

export const walletTransactionFromRow = (r: WalletTransactionRow): WalletTransaction => ({
  id: num(r.id),
  kind: r.kind,
  idempotencyKey: r.idempotency_key,
  amount: num(r.amount),
  balanceAfter: num(r.balance_after),
  debtLimit: num(r.debt_limit),
  reason: r.reason,
  metadata: r.metadata,
  createdAt: r.created_at,
});

/** The wallet's journal, oldest first. */
export async function listWalletTransactions(
  db: Queryable,
  walletId: string,
  options: { limit?: number; afterId?: number } = {},
): Promise<WalletTransaction[]> {
  const { rows } = await db.query<WalletTransactionRow>(
    'select * from public.wallet_transactions where wallet_id = $1 and id > $2 order by id limit $3',
    [walletId, options.afterId ?? 0, options.limit ?? 1000],
  );
  return rows.map(walletTransactionFromRow);
}

export interface WalletIntegrity {
  balance: number;
  journalBalance: number;
  unbalancedTransactions: number;
}

/** Compares the maintained balance with the journal and counts transactions that do not net to zero. */
export async function checkWalletIntegrity(
  db: Queryable,
  walletId: string,
): Promise<Result<WalletIntegrity, LedgerError<'not_found'>>> {
  const { rows } = await db.query<{ balance: string; journal: string; unbalanced: string }>(
    `select w.balance,
       (select coalesce(sum(e.amount), 0) from public.wallet_entries e where e.wallet_id = w.id and e.account = 'wallet') as journal,
       (select count(*) from (select e.transaction_id from public.wallet_entries e where e.wallet_id = w.id
          group by e.transaction_id having sum(e.amount) <> 0 or count(*) < 2) u) as unbalanced
     from public.wallets w where w.id = $1`,
    [walletId],
  );
  const r = rows[0];
  if (!r) return err(ledgerError('not_found', `no wallet ${walletId}`));
  return ok({
    balance: num(r.balance),
    journalBalance: num(r.journal),
    unbalancedTransactions: num(r.unbalanced),
  });
}

export interface WalletOverview extends Wallet {
  /** How much of the debt limit is in use (minor units): max(0, -balance). */
  debtUsed: number;
  /** Balance below the recharge threshold (false without auto-recharge). */
  needsRecharge: boolean;
}

/** Wallets for the dashboard, most indebted first; `needsRecharge` keeps only those below their threshold. */
export async function listWallets(
  db: Queryable,
  options: { limit?: number; needsRecharge?: boolean } = {},
): Promise<WalletOverview[]> {
  const { rows } = await db.query<WalletRow>(
    `select id, owner_id, currency, balance, debt_limit, recharge_threshold, recharge_amount, stripe_customer_id, recharge_cycle
       from public.wallets
      where not $2::boolean or (recharge_threshold is not null and balance < recharge_threshold)
      order by balance asc, owner_id
      limit $1`,
    [options.limit ?? 50, options.needsRecharge ?? false],
  );
  return rows.map((r) => {
    const w = toWallet(r);
    return {
      ...w,
      debtUsed: Math.max(0, -w.balance),
      needsRecharge: w.rechargeThreshold !== null && w.balance < w.rechargeThreshold,
    };
  });
}
