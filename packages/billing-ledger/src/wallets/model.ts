/**
 * The wallet rules as a pure, single-threaded model: what `public.wallet_deduct` and
 * `public.wallet_credit` must do, used by property tests and to replay the journal in tests.
 * No I/O, no clock.
 */

export interface ModelWallet {
  balance: number;
  debtLimit: number;
  rechargeThreshold: number | null;
}

export type ModelOutcome =
  | { status: 'applied'; balance: number; debtCapacity: number; needsRecharge: boolean; replayed: boolean }
  | { status: 'rejected'; balance: number; debtCapacity: number; needsRecharge: boolean; replayed: boolean }
  | { status: 'idempotency_conflict' };

interface Remembered {
  kind: 'debit' | 'credit';
  amount: number;
  outcome: Exclude<ModelOutcome, { status: 'idempotency_conflict' }>;
}

export interface ModelState {
  wallet: ModelWallet;
  keys: Map<string, Remembered>;
}

export function newModel(wallet: Partial<ModelWallet> = {}): ModelState {
  return {
    wallet: { balance: 0, debtLimit: 500, rechargeThreshold: null, ...wallet },
    keys: new Map(),
  };
}

const needsRecharge = (w: ModelWallet, balance: number) =>
  w.rechargeThreshold !== null && balance < w.rechargeThreshold;

/** True when a deduction of `amount` from `balance` stays within the debt limit. */
export function withinDebtLimit(balance: number, amount: number, debtLimit: number): boolean {
  return balance - amount >= -debtLimit;
}

function remembered(
  state: ModelState,
  key: string,
  kind: 'debit' | 'credit',
  amount: number,
): ModelOutcome | undefined {
  const seen = state.keys.get(key);
  if (!seen) return undefined;
  if (seen.kind !== kind || seen.amount !== amount) return { status: 'idempotency_conflict' };
  return { ...seen.outcome, replayed: true };
}

export function modelDeduct(state: ModelState, key: string, amount: number): ModelOutcome {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new RangeError(`amount must be a positive integer, got ${amount}`);
  const again = remembered(state, key, 'debit', amount);
  if (again) return again;
  const w = state.wallet;
  if (!withinDebtLimit(w.balance, amount, w.debtLimit)) {
    const outcome = {
      status: 'rejected' as const,
      balance: w.balance,
      debtCapacity: w.balance + w.debtLimit,
      needsRecharge: needsRecharge(w, w.balance),
      replayed: false,
    };
    state.keys.set(key, { kind: 'debit', amount, outcome });
    return outcome;
  }
  w.balance -= amount;
  const outcome = {
    status: 'applied' as const,
    balance: w.balance,
    debtCapacity: w.balance + w.debtLimit,
    needsRecharge: needsRecharge(w, w.balance),
    replayed: false,
  };
  state.keys.set(key, { kind: 'debit', amount, outcome });
  return outcome;
}

export function modelCredit(state: ModelState, key: string, amount: number): ModelOutcome {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new RangeError(`amount must be a positive integer, got ${amount}`);
  const again = remembered(state, key, 'credit', amount);
  if (again) return again;
  const w = state.wallet;
  w.balance += amount;
  const outcome = {
    status: 'applied' as const,
    balance: w.balance,
    debtCapacity: w.balance + w.debtLimit,
    needsRecharge: needsRecharge(w, w.balance),
    replayed: false,
  };
  state.keys.set(key, { kind: 'credit', amount, outcome });
  return outcome;
}

/** One row of the journal as the replay reads it (amount is the signed effect on the wallet). */
export interface JournalRow {
  id: number;
  amount: number;
  balanceAfter: number;
  debtLimit: number;
}

export interface RejectionRow {
  amount: number;
  balanceSeen: number;
  debtLimit: number;
  /** The last journal id of the wallet when the rejection was decided (null: none yet). */
  seenTransactionId: number | null;
}

/**
 * Replays a wallet's journal (in id order) from `opening` and returns every inconsistency found:
 * a deduction that broke the debt limit, a recorded balance that differs from the replay, or a
 * rejection that the replayed balance at its decision point would have accepted.
 */
export function replayJournal(
  journal: readonly JournalRow[],
  rejections: readonly RejectionRow[],
  opening = 0,
): { balance: number; problems: string[] } {
  const problems: string[] = [];
  const balanceAt = new Map<number | null, number>([[null, opening]]);
  let balance = opening;
  let previous = -Infinity;
  for (const row of journal) {
    if (row.id <= previous) problems.push(`journal not in id order at ${row.id}`);
    previous = row.id;
    if (row.amount < 0 && !withinDebtLimit(balance, -row.amount, row.debtLimit)) {
      problems.push(
        `transaction ${row.id}: deduction of ${-row.amount} from ${balance} breaks the debt limit ${row.debtLimit}`,
      );
    }
    balance += row.amount;
    if (balance !== row.balanceAfter)
      problems.push(`transaction ${row.id}: recorded balance ${row.balanceAfter}, replay ${balance}`);
    balanceAt.set(row.id, balance);
  }
  for (const r of rejections) {
    const at = balanceAt.get(r.seenTransactionId);
    if (at === undefined) problems.push(`rejection after unknown transaction ${r.seenTransactionId}`);
    else if (at !== r.balanceSeen)
      problems.push(`rejection after ${r.seenTransactionId}: saw ${r.balanceSeen}, replay ${at}`);
    else if (withinDebtLimit(at, r.amount, r.debtLimit))
      problems.push(`rejection of ${r.amount} at balance ${at} was within the limit`);
  }
  return { balance, problems };
}
