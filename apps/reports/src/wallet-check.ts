import type { checkWalletIntegrity, WalletOverview } from '@org/billing-ledger';

export interface WalletCheck {
  walletId: string;
  ownerId: string;
  currency: string;
  /** null: consistent; 'mismatch': balance or journal disagree; 'error': the check itself failed. */
  problem: null | 'mismatch' | 'error';
  balance: number | null;
  journalBalance: number | null;
  unbalancedTransactions: number | null;
  error: string | null;
}

/** One wallet's verdict: a check that errored counts as a problem, never as a pass. */
export function checkWallet(
  w: Pick<WalletOverview, 'id' | 'ownerId' | 'currency'>,
  r: Awaited<ReturnType<typeof checkWalletIntegrity>>,
): WalletCheck {
  const base = { walletId: w.id, ownerId: w.ownerId, currency: w.currency };
  if (!r.ok)
    return {
      ...base,
      problem: 'error',
      balance: null,
      journalBalance: null,
      unbalancedTransactions: null,
      error: r.error.message,
    };
  const consistent = r.value.balance === r.value.journalBalance && r.value.unbalancedTransactions === 0;
  return { ...base, problem: consistent ? null : 'mismatch', ...r.value, error: null };
}
