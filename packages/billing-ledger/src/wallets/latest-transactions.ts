import type { Queryable } from '../store/apply.ts';
import type { WalletTransaction } from './store.ts';

/** The wallet's newest journal transactions, newest first (`listWalletTransactions` reads oldest first). */
export async function latestWalletTransactions(
  db: Queryable,
  walletId: string,
  options: { limit?: number } = {},
): Promise<WalletTransaction[]> {
  const { rows } = await db.query<{
    id: string;
    kind: string;
    idempotency_key: string;
    amount: string;
    balance_after: string;
    debt_limit: string;
    reason: string | null;
    metadata: Record<string, unknown>;
    created_at: Date;
  }>('select * from public.wallet_transactions where wallet_id = $1 order by id desc limit $2', [
    walletId,
    options.limit ?? 10,
  ]);
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    idempotencyKey: r.idempotency_key,
    amount: Number(r.amount),
    balanceAfter: Number(r.balance_after),
    debtLimit: Number(r.debt_limit),
    reason: r.reason,
    metadata: r.metadata,
    createdAt: r.created_at,
  }));
}
