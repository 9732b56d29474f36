/**
 * Wallet benchmark: deductions per second through the package's own API, as a caller makes them.
 *
 *   hot / spread           `deduct()`: one deduction per call, one round trip and one transaction
 *                          each (a request handler charging as it serves), on one hot wallet and
 *                          spread over 1,000 wallets.
 *   hot / spread, lists    `deductMany()`: lists of WALLET_BENCH_LIST_SIZE (default 100) deductions
 *                          per call, one round trip and one transaction per list (a usage meter
 *                          flushing its buffer). Every deduction still gets its own answer.
 *   fault run              the issue's hot-wallet fault run (64 clients, random amounts, repeated
 *                          keys, explicit transactions, backends killed), verified like the test.
 *
 * Each figure is printed and written with the load average around it (a 2-core machine shared with
 * other work gives noisy figures above ~1.5), the client's CPU time per deduction and, when the
 * server runs on this machine, its backends' CPU time per deduction (from /proc): CPU per
 * deduction is far less sensitive to other load than deductions per second. Writes
 * bench/results/wallets.json at the repo root.
 *
 *   pnpm --filter @org/billing-ledger bench                       # fault run 64 x 2,000
 *   WALLET_BENCH_FAULT_PER_CLIENT=10000 ... bench                 # the issue's full 64 x 10,000
 *   WALLET_BENCH_PARTS=spread,spread-lists ... bench              # some parts only
 *   WALLET_BENCH_MIGRATIONS=<dir> ... bench                       # another schema (before/after)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findRepoRoot } from '@org/db';
import { createTestDatabase } from '@org/db/testing';
import pg from 'pg';
import { replayJournal } from '../src/wallets/model.ts';
import {
  checkWalletIntegrity,
  type DeductInput,
  deduct,
  deductMany,
  openWallet,
} from '../src/wallets/store.ts';
import { prng, runWalletStress } from './wallets-stress.ts';

const env = process.env;
const clients = Number(env.WALLET_BENCH_CLIENTS ?? 8);
const listClients = Number(env.WALLET_BENCH_LIST_CLIENTS ?? clients);
const perClient = Number(env.WALLET_BENCH_PER_CLIENT ?? 1000);
const listSize = Number(env.WALLET_BENCH_LIST_SIZE ?? 100);
const listsPerClient = Number(env.WALLET_BENCH_LISTS_PER_CLIENT ?? 50);
const faultClients = Number(env.WALLET_BENCH_FAULT_CLIENTS ?? 64);
// The full size is 64 x 10,000 (WALLET_BENCH_FAULT_PER_CLIENT=10000); the default keeps
// `pnpm bench` to a few minutes.
const faultPerClient = Number(env.WALLET_BENCH_FAULT_PER_CLIENT ?? 2_000);
const parts = new Set(
  (env.WALLET_BENCH_PARTS ?? 'hot,spread,hot-lists,spread-lists,fault').split(',').map((s) => s.trim()),
);

const load = () => Number((os.loadavg()[0] ?? 0).toFixed(2));

// Linux reports process CPU in clock ticks (USER_HZ, 100 per second).
const TICKS_PER_SECOND = 100;
/** utime + stime of these processes, or null when /proc does not have them (remote server). */
function backendTicks(pids: number[]): number | null {
  try {
    let ticks = 0;
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return pids.length ? ticks : null;
  } catch {
    return null;
  }
}

interface Figure {
  api: 'deduct' | 'deductMany';
  clients: number;
  deductions: number;
  calls: number;
  seconds: number;
  perSecond: number;
  /** Client (Node) CPU per deduction, microseconds. */
  clientCpuUsPerDeduction: number;
  /** The server backends' CPU per deduction, microseconds (null when the server is not local). */
  serverCpuUsPerDeduction: number | null;
  applied: number;
  rejected: number;
  loadAverage: { before: number; after: number };
  target: number;
}

async function measure(
  api: Figure['api'],
  n: { clients: number; calls: number },
  target: number,
  run: (client: number, call: number) => Promise<{ applied: number; rejected: number; deductions: number }>,
): Promise<Figure> {
  // One connection per client, opened before the clock starts; their backends' CPU is read around the run.
  await Promise.all(Array.from({ length: n.clients }, () => pool.query('select 1')));
  const pids = (
    await pool.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and application_name = 'wallet-bench'`,
    )
  ).rows.map((r) => r.pid);
  const serverBefore = backendTicks(pids);
  const before = load();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const totals = { applied: 0, rejected: 0, deductions: 0 };
  await Promise.all(
    Array.from({ length: n.clients }, async (_, c) => {
      for (let i = 0; i < n.calls; i++) {
        const r = await run(c, i);
        totals.applied += r.applied;
        totals.rejected += r.rejected;
        totals.deductions += r.deductions;
      }
    }),
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const serverAfter = backendTicks(pids);
  return {
    api,
    clients: n.clients,
    deductions: totals.deductions,
    calls: n.clients * n.calls,
    seconds: Number((ms / 1000).toFixed(2)),
    perSecond: Math.round(totals.deductions / (ms / 1000)),
    clientCpuUsPerDeduction: Math.round((used.user + used.system) / totals.deductions),
    serverCpuUsPerDeduction:
      serverBefore === null || serverAfter === null
        ? null
        : Math.round(((serverAfter - serverBefore) * 1e6) / TICKS_PER_SECOND / totals.deductions),
    applied: totals.applied,
    rejected: totals.rejected,
    loadAverage: { before, after: load() },
    target,
  };
}

const migrationsDir = env.WALLET_BENCH_MIGRATIONS;
const db = await createTestDatabase(undefined, { poolMax: 4, ...(migrationsDir ? { migrationsDir } : {}) });
// The callers' pool: one connection per client, as an app would size it.
const pool = new pg.Pool({
  connectionString: db.url,
  max: Math.max(clients, listClients),
  application_name: 'wallet-bench',
  // Connections stay open between phases, so each backend's CPU is read from start to end.
  idleTimeoutMillis: 0,
});
const results: Record<string, unknown> = {};
try {
  const server = (await db.pool.query<{ v: string }>(`select current_setting('server_version') as v`))
    .rows[0]!.v;
  const { rows: settings } = await db.pool.query<{ name: string; setting: string }>(
    `select name, setting from pg_settings where name in ('synchronous_commit', 'fsync')`,
  );
  results.server = {
    version: server,
    settings: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
  };
  results.machine = { cpus: os.cpus().length };
  if (migrationsDir) results.migrations = migrationsDir;

  // Funded (a large debt limit) so the runs measure accepted deductions, not rejections.
  const open = async (owner: string) => {
    const w = await openWallet(db.pool, { ownerId: owner, currency: 'usd', debtLimit: 1_000_000_000 });
    if (!w.ok) throw new Error(w.error.message);
    return w.value.id;
  };
  const hot = await open('bench_hot');
  const spread: string[] = [];
  for (let i = 0; i < 1000; i++) spread.push(await open(`bench_${i}`));

  const one = async (input: DeductInput) => {
    const r = await deduct(pool, input);
    if (!r.ok && r.error.code !== 'debt_limit_exceeded') throw new Error(r.error.message);
    return { applied: r.ok ? 1 : 0, rejected: r.ok ? 0 : 1, deductions: 1 };
  };
  const many = async (inputs: DeductInput[]) => {
    const rs = await deductMany(pool, inputs);
    let applied = 0;
    for (const r of rs) {
      if (r.ok) applied++;
      else if (r.error.code !== 'debt_limit_exceeded') throw new Error(r.error.message);
    }
    return { applied, rejected: rs.length - applied, deductions: rs.length };
  };
  const randoms = Array.from({ length: Math.max(clients, listClients) }, (_, c) => prng(1000 + c));
  const amount = (c: number) => 1 + Math.floor(randoms[c]!() * 5);
  const spreadWallet = (c: number) => spread[Math.floor(randoms[c]!() * spread.length)]!;

  if (parts.has('hot'))
    results.hot = await measure('deduct', { clients, calls: perClient }, 1000, (c, i) =>
      one({ walletId: hot, amount: amount(c), idempotencyKey: `h-${c}-${i}`, reason: 'bench' }),
    );
  if (parts.has('spread'))
    results.spread = await measure('deduct', { clients, calls: perClient }, 5000, (c, i) =>
      one({ walletId: spreadWallet(c), amount: amount(c), idempotencyKey: `s-${c}-${i}`, reason: 'bench' }),
    );
  if (parts.has('hot-lists'))
    results.hotLists = await measure(
      'deductMany',
      { clients: listClients, calls: listsPerClient },
      1000,
      (c, i) =>
        many(
          Array.from({ length: listSize }, (_, j) => ({
            walletId: hot,
            amount: amount(c),
            idempotencyKey: `hl-${c}-${i}-${j}`,
            reason: 'bench',
          })),
        ),
    );
  if (parts.has('spread-lists'))
    results.spreadLists = await measure(
      'deductMany',
      { clients: listClients, calls: listsPerClient },
      5000,
      (c, i) =>
        many(
          Array.from({ length: listSize }, (_, j) => ({
            walletId: spreadWallet(c),
            amount: amount(c),
            idempotencyKey: `sl-${c}-${i}-${j}`,
            reason: 'bench',
          })),
        ),
    );

  if (parts.has('fault')) {
    const fault = await openWallet(db.pool, { ownerId: 'bench_fault', currency: 'usd', debtLimit: 500 });
    if (!fault.ok) throw new Error(fault.error.message);
    const before = load();
    const faultRun = await runWalletStress({
      url: db.url,
      walletId: fault.value.id,
      clients: faultClients,
      perClient: faultPerClient,
      killEveryMs: 50,
      seed: 7,
    });
    const after = load();
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
    const verified =
      integrity.ok &&
      integrity.value.balance >= -500 &&
      integrity.value.balance === integrity.value.journalBalance &&
      integrity.value.unbalancedTransactions === 0 &&
      replay.problems.length === 0 &&
      faultRun.replayMismatches.length === 0 &&
      journal.length + rejections.length === faultClients * faultPerClient;
    results.faultRun = {
      clients: faultClients,
      perClient: faultPerClient,
      keys: faultClients * faultPerClient,
      calls: faultRun.operations,
      retriedKeys: faultRun.retriedKeys,
      kills: faultRun.kills,
      reconnects: faultRun.reconnects,
      seconds: Number((faultRun.elapsedMs / 1000).toFixed(1)),
      callsPerSecond: Math.round(faultRun.operations / (faultRun.elapsedMs / 1000)),
      accepted: journal.length,
      rejected: rejections.length,
      finalBalance: integrity.ok ? integrity.value.balance : null,
      verified,
      problems: [...replay.problems, ...faultRun.replayMismatches].slice(0, 10),
      loadAverage: { before, after },
    };
    if (!verified) process.exitCode = 1;
  }

  const out = path.join(findRepoRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'wallets.json'), `${JSON.stringify(results, null, 2)}\n`);

  const line = (label: string, f: Figure | undefined) =>
    f &&
    console.log(
      `  ${label.padEnd(34)} ${String(f.perSecond).padStart(6)} deductions/s  (${f.clients} clients, ${f.deductions} deductions in ${f.calls} calls, ${f.seconds}s; CPU per deduction: client ${f.clientCpuUsPerDeduction} us, server ${f.serverCpuUsPerDeduction ?? '?'} us; load ${f.loadAverage.before} -> ${f.loadAverage.after}; target >= ${f.target.toLocaleString('en')})`,
    );
  console.log(`wallets on PostgreSQL ${server} (${JSON.stringify(results.server)})`);
  line('hot wallet, deduct()', results.hot as Figure | undefined);
  line('1,000 wallets, deduct()', results.spread as Figure | undefined);
  line(`hot wallet, deductMany(${listSize})`, results.hotLists as Figure | undefined);
  line(`1,000 wallets, deductMany(${listSize})`, results.spreadLists as Figure | undefined);
  const f = results.faultRun as
    | {
        keys: number;
        calls: number;
        kills: number;
        callsPerSecond: number;
        seconds: number;
        verified: boolean;
        loadAverage: unknown;
        accepted: number;
        rejected: number;
      }
    | undefined;
  if (f)
    console.log(
      `  fault run ${faultClients} x ${faultPerClient}: ${f.keys} keys, ${f.calls} calls, ${f.kills} backends killed, ${f.accepted} accepted / ${f.rejected} rejected, ${f.seconds}s (${f.callsPerSecond} calls/s), load ${JSON.stringify(f.loadAverage)}, verified=${f.verified}`,
    );
} finally {
  await pool.end();
  await db.drop();
}
