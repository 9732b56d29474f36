/**
 * Wallet benchmark: deductions per second on one hot wallet and spread across 1,000 wallets,
 * plus the full-size fault run (64 clients x 10,000 operations with killed connections,
 * verified like the test). Writes /work/main/bench/results/wallets.json (repo-root bench/results).
 *
 *   pnpm --filter @org/billing-ledger bench                     # fault run 64 x 2,000
 *   WALLET_BENCH_FAULT_PER_CLIENT=10000 pnpm ... bench          # the full 64 x 10,000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findRepoRoot } from '@org/db';
import { createTestDatabase } from '@org/db/testing';
import pg from 'pg';
import { replayJournal } from '../src/wallets/model.ts';
import { checkWalletIntegrity, openWallet } from '../src/wallets/store.ts';
import { prng, runWalletStress } from './wallets-stress.ts';

const hotClients = Number(process.env.WALLET_BENCH_HOT_CLIENTS ?? 8);
const spreadClients = Number(process.env.WALLET_BENCH_SPREAD_CLIENTS ?? 8);
const perClient = Number(process.env.WALLET_BENCH_PER_CLIENT ?? 1000);
const faultClients = Number(process.env.WALLET_BENCH_FAULT_CLIENTS ?? 64);
// The full size is 64 x 10,000 (WALLET_BENCH_FAULT_PER_CLIENT=10000, ~15 min on 2 cores);
// the default keeps `pnpm bench` to a few minutes.
const faultPerClient = Number(process.env.WALLET_BENCH_FAULT_PER_CLIENT ?? 2_000);

async function deductLoop(
  url: string,
  wallets: string[],
  clients: number,
  each: number,
  seed: number,
): Promise<{ ops: number; ms: number }> {
  const started = performance.now();
  let ops = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const random = prng(seed * 100 + c);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (let i = 0; i < each; i++) {
          const wallet = wallets[Math.floor(random() * wallets.length)]!;
          await client.query(`select * from public.wallet_deduct($1, $2, $3, 'bench')`, [
            wallet,
            1 + Math.floor(random() * 5),
            `b${seed}-${c}-${i}`,
          ]);
          ops++;
        }
      } finally {
        await client.end();
      }
    }),
  );
  return { ops, ms: performance.now() - started };
}

const db = await createTestDatabase(undefined, { poolMax: 4 });
try {
  const server = (await db.pool.query<{ v: string }>(`select current_setting('server_version') as v`))
    .rows[0]!.v;
  const { rows: settings } = await db.pool.query<{ name: string; setting: string }>(
    `select name, setting from pg_settings where name in ('synchronous_commit', 'fsync')`,
  );

  // Funded so the hot runs measure accepted deductions, not rejections.
  const hot = await openWallet(db.pool, { ownerId: 'bench_hot', currency: 'usd', debtLimit: 1_000_000_000 });
  if (!hot.ok) throw new Error(hot.error.message);
  const hotRun = await deductLoop(db.url, [hot.value.id], hotClients, perClient, 1);

  const spread: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const w = await openWallet(db.pool, { ownerId: `bench_${i}`, currency: 'usd', debtLimit: 1_000_000_000 });
    if (!w.ok) throw new Error(w.error.message);
    spread.push(w.value.id);
  }
  const spreadRun = await deductLoop(db.url, spread, spreadClients, perClient, 2);

  const fault = await openWallet(db.pool, { ownerId: 'bench_fault', currency: 'usd', debtLimit: 500 });
  if (!fault.ok) throw new Error(fault.error.message);
  const faultRun = await runWalletStress({
    url: db.url,
    walletId: fault.value.id,
    clients: faultClients,
    perClient: faultPerClient,
    killEveryMs: 50,
    seed: 7,
  });
  const integrity = await checkWalletIntegrity(db.pool, fault.value.id);
  const journal = (
    await db.pool.query(
      'select id, amount, balance_after, debt_limit from public.wallet_transactions where wallet_id = $1 order by id',
      [fault.value.id],
    )
  ).rows;
  const rejections = (
    await db.pool.query('select * from public.wallet_rejections where wallet_id = $1', [fault.value.id])
  ).rows;
  const replay = replayJournal(
    journal.map((r) => ({
      id: Number(r.id),
      amount: Number(r.amount),
      balanceAfter: Number(r.balance_after),
      debtLimit: Number(r.debt_limit),
    })),
    rejections.map((r) => ({
      amount: Number(r.amount),
      balanceSeen: Number(r.balance_seen),
      debtLimit: Number(r.debt_limit),
      seenTransactionId: r.seen_transaction_id === null ? null : Number(r.seen_transaction_id),
    })),
  );
  const faultOk =
    integrity.ok &&
    integrity.value.balance >= -500 &&
    integrity.value.balance === integrity.value.journalBalance &&
    integrity.value.unbalancedTransactions === 0 &&
    replay.problems.length === 0 &&
    faultRun.replayMismatches.length === 0 &&
    journal.length + rejections.length === faultClients * faultPerClient;

  const result = {
    server: { version: server, settings: Object.fromEntries(settings.map((s) => [s.name, s.setting])) },
    hot: {
      clients: hotClients,
      deductions: hotRun.ops,
      seconds: hotRun.ms / 1000,
      perSecond: Math.round(hotRun.ops / (hotRun.ms / 1000)),
      target: 1000,
    },
    spread: {
      wallets: 1000,
      clients: spreadClients,
      deductions: spreadRun.ops,
      seconds: spreadRun.ms / 1000,
      perSecond: Math.round(spreadRun.ops / (spreadRun.ms / 1000)),
      target: 5000,
    },
    faultRun: {
      clients: faultClients,
      perClient: faultPerClient,
      operations: faultRun.operations,
      kills: faultRun.kills,
      reconnects: faultRun.reconnects,
      seconds: faultRun.elapsedMs / 1000,
      perSecond: Math.round(faultRun.operations / (faultRun.elapsedMs / 1000)),
      accepted: journal.length,
      rejected: rejections.length,
      verified: faultOk,
      problems: replay.problems.slice(0, 10),
    },
  };
  const out = path.join(findRepoRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'wallets.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wallets on PostgreSQL ${server}`);
  console.log(
    `  hot wallet:     ${result.hot.perSecond} deductions/s (${hotClients} clients, ${hotRun.ops} deductions; target >= 1,000)`,
  );
  console.log(
    `  1,000 wallets:  ${result.spread.perSecond} deductions/s (${spreadClients} clients, ${spreadRun.ops} deductions; target >= 5,000)`,
  );
  console.log(
    `  fault run:      ${faultClients} x ${faultPerClient}: ${faultRun.operations} calls, ${faultRun.kills} backends killed, ${result.faultRun.perSecond}/s, verified=${faultOk}`,
  );
  if (!faultOk) process.exitCode = 1;
} finally {
  await db.drop();
}
