import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletStress, type StressOptions } from '../bench/wallets-stress.ts';
import { replayJournal } from '../src/wallets/model.ts';
import { checkWalletIntegrity, openWallet } from '../src/wallets/store.ts';

/**
 * The hot-wallet fault test of the issue: 64 concurrent clients (fewer on a server with few
 * connections, see below), random amounts, repeated idempotency keys, explicit transactions, and
 * backends killed mid-transaction.
 * Size: WALLET_STRESS_PER_CLIENT deductions per client (default 40, i.e. 2,560 operations, to keep
 * the package's test run short); the benchmark runs the full 64 x 10,000
 * (WALLET_BENCH_FAULT_PER_CLIENT=10000, see bench/wallets.ts).
 */
const perClient = Number(process.env.WALLET_STRESS_PER_CLIENT ?? 40);
let clients = 64;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // Every package's tests share the server: on one with Postgres' default 100 connections, 64
  // more would refuse other tests theirs ("too many clients"). There it takes a third of them.
  const { rows } = await db.pool.query<{ n: number }>(`select current_setting('max_connections')::int as n`);
  clients = Number(process.env.WALLET_STRESS_CLIENTS ?? Math.min(64, Math.floor(rows[0]!.n / 3)));
});
afterAll(() => db.drop());

/**
 * Runs the stress driver on a fresh wallet (debt limit 500) while watching its balance, then checks
 * everything the issue asks for: the limit held at every instant, balance = journal, every
 * transaction nets to zero, the journal replays single-threaded, and every key has exactly one
 * decision, the one its client was told.
 */
async function stressAndVerify(owner: string, options: Omit<StressOptions, 'url' | 'walletId'>) {
  const opened = await openWallet(db.pool, { ownerId: owner, currency: 'usd', debtLimit: 500 });
  if (!opened.ok) throw new Error(opened.error.message);
  const walletId = opened.value.id;

  // Watches the balance while the clients run.
  let lowest = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const { rows } = await db.pool.query<{ balance: number }>(
        'select balance from public.wallets where id = $1',
        [walletId],
      );
      lowest = Math.min(lowest, Number(rows[0]!.balance));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const result = await runWalletStress({ url: db.url, walletId, ...options });
  watching = false;
  await watcher;

  expect(result.kills).toBeGreaterThan(0);
  expect(result.replayMismatches).toEqual([]);
  expect(lowest).toBeGreaterThanOrEqual(-500);

  const integrity = await checkWalletIntegrity(db.pool, walletId);
  expect(integrity.ok).toBe(true);
  if (!integrity.ok) return;
  expect(integrity.value.balance).toBeGreaterThanOrEqual(-500);
  expect(integrity.value.balance).toBe(integrity.value.journalBalance);
  expect(integrity.value.unbalancedTransactions).toBe(0);
  const { rows: netting } = await db.pool.query(
    `select e.transaction_id from public.wallet_entries e join public.wallet_transactions t on t.id = e.transaction_id
      where t.wallet_id = $1 group by e.transaction_id having sum(e.amount) <> 0 or count(*) <> 2`,
    [walletId],
  );
  expect(netting).toEqual([]);

  const journal = (
    await db.pool.query<{
      id: number;
      amount: number;
      balance_after: number;
      debt_limit: number;
      idempotency_key: string;
    }>(
      'select id, amount, balance_after, debt_limit, idempotency_key from public.wallet_transactions where wallet_id = $1 order by id',
      [walletId],
    )
  ).rows;
  const rejections = (
    await db.pool.query<{
      amount: number;
      balance_seen: number;
      debt_limit: number;
      seen_transaction_id: number | null;
      idempotency_key: string;
    }>('select * from public.wallet_rejections where wallet_id = $1', [walletId])
  ).rows;
  const replay = replayJournal(
    journal.map((r) => ({
      id: r.id,
      amount: r.amount,
      balanceAfter: r.balance_after,
      debtLimit: r.debt_limit,
    })),
    rejections.map((r) => ({
      amount: r.amount,
      balanceSeen: r.balance_seen,
      debtLimit: r.debt_limit,
      seenTransactionId: r.seen_transaction_id,
    })),
  );
  expect(replay.problems).toEqual([]);
  expect(replay.balance).toBe(integrity.value.balance);

  // Every key has exactly one decision, and it is the answer its client got.
  const keys = options.clients * options.perClient;
  expect(journal.length + rejections.length).toBe(keys);
  expect(result.answers.size).toBe(keys);
  const byKey = new Map(journal.map((r) => [r.idempotency_key, r]));
  const rejectedByKey = new Map(rejections.map((r) => [r.idempotency_key, r]));
  const disagreements: string[] = [];
  for (const a of result.answers.values()) {
    if (a.status === 'applied') {
      const row = byKey.get(a.key);
      if (
        !row ||
        row.id !== a.transactionId ||
        row.balance_after !== a.balance ||
        Math.abs(row.amount) !== a.amount
      )
        disagreements.push(a.key);
    } else if (a.status === 'rejected') {
      const row = rejectedByKey.get(a.key);
      if (!row || row.balance_seen !== a.balance || a.kind !== 'debit') disagreements.push(a.key);
    } else disagreements.push(`${a.key}: ${a.status}`);
  }
  expect(disagreements).toEqual([]);
  // The run exercised both outcomes.
  expect(rejections.length).toBeGreaterThan(0);
  expect(journal.filter((r) => r.amount < 0).length).toBeGreaterThan(0);
  return result;
}

describe('one hot wallet under concurrency and killed connections', () => {
  it('never breaks the debt limit, keeps the journal balanced, and matches a single-threaded replay', {
    timeout: 240_000,
  }, async () => {
    await stressAndVerify('org_hot', { clients, perClient, killEveryMs: 30, seed: 42 });
  });

  it('holds the same guarantees when half the deductions arrive as lists (wallet_deduct_many)', {
    timeout: 240_000,
  }, async () => {
    const result = await stressAndVerify('org_hot_lists', {
      clients: 16,
      perClient: 40,
      killEveryMs: 30,
      seed: 43,
      listShare: 0.5,
      maxList: 8,
    });
    expect(result?.retriedKeys).toBeGreaterThan(0);
  });
});
