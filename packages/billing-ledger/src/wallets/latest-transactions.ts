import type { Queryable } from '../store/apply.ts';
import { type WalletTransaction, type WalletTransactionRow, walletTransactionFromRow } from './store.ts';

/** The wallet's newest journal transactions, newest first (`listWalletTransactions` reads oldest first). */
export async function latestWalletTransactions(
  db: Queryable,
  walletId: string,
  options: { limit?: number } = {},
): Promise<WalletTransaction[]> {
  const { rows } = await db.query<WalletTransactionRow>(
    'select * from public.wallet_transactions where wallet_id = $1 order by id desc limit $2',
    [walletId, options.limit ?? 10],
  );
  return rows.map(walletTransactionFromRow);
}
