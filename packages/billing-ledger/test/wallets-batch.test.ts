import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLedgerError, LedgerError } from '../src/errors.ts';
import { modelCredit, modelDeduct, newModel, replayJournal } from '../src/wallets/model.ts';
import {
  checkWalletIntegrity,
  credit,
  type DeductInput,
  deduct,
  deductMany,
  listWalletTransactions,
  openWallet,
  type Wallet,
} from '../src/wallets/store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function wallet(
  ownerId: string,
  extra: { debtLimit?: number; recharge?: { threshold: number; amount: number } } = {},
) {
  const r = await openWallet(db.pool, { ownerId, currency: 'usd', ...extra });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function replayProblems(w: Wallet) {
  const journal = await db.pool.query<{
    id: string;
    amount: string;
    balance_after: string;
    debt_limit: string;
  }>(
    'select id, amount, balance_after, debt_limit from public.wallet_transactions where wallet_id = $1 order by id',
    [w.id],
  );
  const rejections = await db.pool.query<{
    amount: string;
    balance_seen: string;
    debt_limit: string;
    seen_transaction_id: string | null;
  }>('select * from public.wallet_rejections where wallet_id = $1', [w.id]);
  return replayJournal(
    journal.rows.map((r) => ({
      id: Number(r.id),
      amount: Number(r.amount),
      balanceAfter: Number(r.balance_after),
      debtLimit: Number(r.debt_limit),
    })),
    rejections.rows.map((r) => ({
      amount: Number(r.amount),
      balanceSeen: Number(r.balance_seen),
      debtLimit: Number(r.debt_limit),
      seenTransactionId: r.seen_transaction_id === null ? null : Number(r.seen_transaction_id),
    })),
  ).problems;
}

describe('deductMany', () => {
  it('answers every list exactly like deduct called item by item (model), across wallets and chunks', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 3, maxLength: 3 }),
        fc.array(
          fc.oneof(
            fc.record({
              list: fc.array(
                fc.record({
                  w: fc.integer({ min: 0, max: 2 }),
                  key: fc.integer({ min: 0, max: 12 }),
                  amount: fc.integer({ min: 1, max: 500 }),
                }),
                { maxLength: 25 },
              ),
              chunkSize: fc.integer({ min: 1, max: 30 }),
            }),
            fc.record({ topUp: fc.integer({ min: 1, max: 800 }), w: fc.integer({ min: 0, max: 2 }) }),
          ),
          { maxLength: 8 },
        ),
        async (limits, steps) => {
          const r = run++;
          const wallets = await Promise.all(
            limits.map((debtLimit, i) =>
              wallet(`org_many_${r}_${i}`, { debtLimit, recharge: { threshold: 100, amount: 1000 } }),
            ),
          );
          const models = limits.map((debtLimit) => newModel({ debtLimit, rechargeThreshold: 100 }));
          let topUps = 0;
          for (const step of steps) {
            if ('topUp' in step) {
              const key = `top-${topUps++}`;
              modelCredit(models[step.w]!, key, step.topUp);
              const c = await credit(db.pool, {
                walletId: wallets[step.w]!.id,
                amount: step.topUp,
                idempotencyKey: key,
              });
              expect(c.ok).toBe(true);
              continue;
            }
            const inputs: DeductInput[] = step.list.map((x) => ({
              walletId: wallets[x.w]!.id,
              amount: x.amount,
              idempotencyKey: `k${x.key}`,
            }));
            const results = await deductMany(db.pool, inputs, { chunkSize: step.chunkSize });
            expect(results.length).toBe(inputs.length);
            step.list.forEach((x, i) => {
              const expected = modelDeduct(models[x.w]!, `k${x.key}`, x.amount);
              const actual = results[i]!;
              if (expected.status === 'applied') {
                expect(actual.ok && { ...actual.value, transactionId: 0 }).toEqual({
                  transactionId: 0,
                  balance: expected.balance,
                  debtCapacity: expected.debtCapacity,
                  needsRecharge: expected.needsRecharge,
                  replayed: expected.replayed,
                });
              } else if (expected.status === 'rejected') {
                expect(actual.ok === false && actual.error).toMatchObject({
                  code: 'debt_limit_exceeded',
                  balance: expected.balance,
                  debtCapacity: expected.debtCapacity,
                  needsRecharge: expected.needsRecharge,
                  replayed: expected.replayed,
                });
              } else {
                expect(actual.ok === false && actual.error.code).toBe('idempotency_conflict');
              }
            });
          }
          for (const [i, w] of wallets.entries()) {
            expect(await checkWalletIntegrity(db.pool, w.id)).toEqual({
              ok: true,
              value: {
                balance: models[i]!.wallet.balance,
                journalBalance: models[i]!.wallet.balance,
                unbalancedTransactions: 0,
              },
            });
            expect(await replayProblems(w)).toEqual([]);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives a repeated key the first answer, also against single deduct, and succeeds exactly at the limit', async () => {
    const w = await wallet('org_many_limit', { debtLimit: 100 });
    const single = await deduct(db.pool, { walletId: w.id, amount: 60, idempotencyKey: 'a' });
    expect(single.ok).toBe(true);
    const results = await deductMany(db.pool, [
      { walletId: w.id, amount: 60, idempotencyKey: 'a' },
      { walletId: w.id, amount: 40, idempotencyKey: 'b' },
      { walletId: w.id, amount: 1, idempotencyKey: 'c' },
      { walletId: w.id, amount: 40, idempotencyKey: 'b' },
      { walletId: w.id, amount: 41, idempotencyKey: 'b' },
      { walletId: w.id, amount: 1, idempotencyKey: 'c' },
    ]);
    expect(single.ok && results[0]).toEqual({
      ok: true,
      value: { ...(single.ok && single.value), replayed: true },
    });
    expect(results[1]).toEqual({
      ok: true,
      value: expect.objectContaining({ balance: -100, debtCapacity: 0, replayed: false }),
    });
    expect(results[2]!.ok === false && results[2]!.error).toMatchObject({
      code: 'debt_limit_exceeded',
      balance: -100,
      replayed: false,
    });
    expect(results[3]!.ok && results[1]!.ok && results[3]!.value).toEqual(
      results[1]!.ok && { ...results[1]!.value, replayed: true },
    );
    expect(results[4]!.ok === false && results[4]!.error.code).toBe('idempotency_conflict');
    expect(results[5]!.ok === false && results[5]!.error).toMatchObject({
      code: 'debt_limit_exceeded',
      replayed: true,
    });
    // And single deduct sees the list's decisions.
    const again = await deduct(db.pool, { walletId: w.id, amount: 40, idempotencyKey: 'b' });
    expect(again.ok && again.value.replayed).toBe(true);
    expect((await listWalletTransactions(db.pool, w.id)).length).toBe(2);
  });

  it('answers invalid items and unknown wallets per item without failing the list', async () => {
    const w = await wallet('org_many_invalid');
    const results = await deductMany(db.pool, [
      { walletId: w.id, amount: 0, idempotencyKey: 'zero' },
      { walletId: 'not-a-uuid', amount: 5, idempotencyKey: 'x' },
      { walletId: w.id, amount: 5, idempotencyKey: 'k'.repeat(301) },
      { walletId: '00000000-0000-0000-0000-000000000000', amount: 5, idempotencyKey: 'x' },
      { walletId: w.id, amount: 5, idempotencyKey: 'ok', kind: 'adjustment', metadata: { meter: 'm1' } },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'invalid_input',
      'invalid_input',
      'invalid_input',
      'not_found',
      'ok',
    ]);
    const [tx] = await listWalletTransactions(db.pool, w.id);
    expect(tx).toMatchObject({ kind: 'adjustment', amount: -5, metadata: { meter: 'm1' } });
    const { rows } = await db.pool.query(
      'select account, amount from public.wallet_entries where transaction_id = $1 order by entry_no',
      [tx!.id],
    );
    expect(rows.map((r) => [r.account, Number(r.amount)])).toEqual([
      ['wallet', -5],
      ['adjustment', 5],
    ]);
    expect(await deductMany(db.pool, [])).toEqual([]);
  });

  it('runs concurrent lists over the same wallets in any order without deadlock or a broken limit', async () => {
    const wallets = await Promise.all(
      Array.from({ length: 12 }, (_, i) => wallet(`org_many_conc_${i}`, { debtLimit: 300 })),
    );
    await Promise.all(
      Array.from({ length: 6 }, async (_, c) => {
        for (let round = 0; round < 8; round++) {
          // Each client walks the wallets in its own order, so locks would cross without ordering.
          const order = c % 2 === 0 ? wallets : [...wallets].reverse();
          const results = await deductMany(
            db.pool,
            order.map((w, i) => ({
              walletId: w.id,
              amount: 7 + ((c + i + round) % 5),
              idempotencyKey: `c${c}-r${round}`,
            })),
          );
          for (const r of results) expect(r.ok || r.error.code === 'debt_limit_exceeded').toBe(true);
        }
      }),
    );
    for (const w of wallets) {
      const integrity = await checkWalletIntegrity(db.pool, w.id);
      expect(integrity.ok && integrity.value.balance).toBeGreaterThanOrEqual(-300);
      expect(integrity.ok && integrity.value.balance === integrity.value.journalBalance).toBe(true);
      expect(await replayProblems(w)).toEqual([]);
    }
  });
});

describe('the journal (consistency of a transaction with its entries)', () => {
  async function post(
    w: Wallet,
    entries: [walletId: string, account: string, amount: number][],
    amount: number,
  ) {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `insert into public.wallet_transactions (wallet_id, kind, idempotency_key, amount, balance_after, debt_limit, needs_recharge)
         values ($1, 'adjustment', $2, $3, $3, 500, false) returning id`,
        [w.id, `manual-${Math.random()}`, amount],
      );
      for (const [n, [walletId, account, value]] of entries.entries())
        await client.query('insert into public.wallet_entries values ($1, $2, $3, $4, $5)', [
          rows[0].id,
          n + 1,
          walletId,
          account,
          value,
        ]);
      await client.query('commit');
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  }

  it('refuses entries on another wallet than their transaction, and a wallet entry unlike the transaction amount', async () => {
    const a = await wallet('org_journal_a');
    const b = await wallet('org_journal_b');
    await expect(
      post(
        a,
        [
          [b.id, 'wallet', 30],
          [a.id, 'adjustment', -30],
        ],
        30,
      ),
    ).rejects.toThrow(/inconsistent/);
    await expect(
      post(
        a,
        [
          [a.id, 'wallet', 20],
          [a.id, 'adjustment', -20],
        ],
        30,
      ),
    ).rejects.toThrow(/inconsistent/);
    // Entries in separate statements of one transaction are still fine when they balance.
    await post(
      a,
      [
        [a.id, 'wallet', 30],
        [a.id, 'adjustment', -30],
      ],
      30,
    );
    for (const w of [a, b])
      expect(
        (await checkWalletIntegrity(db.pool, w.id)).ok && (await checkWalletIntegrity(db.pool, w.id)),
      ).toEqual({
        ok: true,
        value: { balance: w === a ? 30 : 0, journalBalance: w === a ? 30 : 0, unbalancedTransactions: 0 },
      });
  });
});

describe('wallet errors', () => {
  it('are LedgerErrors with stable codes, and JSON keeps the code, message and details', async () => {
    const w = await wallet('org_errors', { debtLimit: 0 });
    const r = await deduct(db.pool, { walletId: w.id, amount: 1, idempotencyKey: 'e' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(LedgerError);
    expect(isLedgerError(r.error) && r.error.code).toBe('debt_limit_exceeded');
    expect(JSON.parse(JSON.stringify(r.error))).toEqual({
      name: 'LedgerError',
      code: 'debt_limit_exceeded',
      message: expect.stringMatching(/debt limit/),
      balance: 0,
      debtCapacity: 0,
      needsRecharge: false,
      replayed: false,
    });
    const invalid = await deduct(db.pool, { walletId: w.id, amount: -1, idempotencyKey: 'e' });
    expect(invalid.ok === false && isLedgerError(invalid.error) && invalid.error.code).toBe('invalid_input');
  });
});
