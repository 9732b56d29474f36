import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelCredit, modelDeduct, newModel } from '../src/wallets/model.ts';
import {
  checkWalletIntegrity,
  configureWallet,
  credit,
  deduct,
  getWallet,
  listWalletTransactions,
  openWallet,
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

describe('wallet deductions', () => {
  it('opens one wallet per owner and currency with the default debt limit', async () => {
    const a = await wallet('org_a');
    const again = await wallet('org_a');
    expect(again.id).toBe(a.id);
    expect(a).toMatchObject({ balance: 0, debtLimit: 500, currency: 'usd', rechargeThreshold: null });
    const eur = await openWallet(db.pool, { ownerId: 'org_a', currency: 'EUR' });
    expect(eur.ok && eur.value.id !== a.id && eur.value.currency === 'eur').toBe(true);
  });

  it('succeeds exactly at the debt limit and rejects one unit beyond, leaving the balance unchanged', async () => {
    const w = await wallet('org_limit');
    const first = await deduct(db.pool, {
      walletId: w.id,
      amount: 300,
      idempotencyKey: 'k1',
      reason: 'api calls',
    });
    expect(first).toEqual({
      ok: true,
      value: expect.objectContaining({
        balance: -300,
        debtCapacity: 200,
        needsRecharge: false,
        replayed: false,
      }),
    });
    const atLimit = await deduct(db.pool, { walletId: w.id, amount: 200, idempotencyKey: 'k2' });
    expect(atLimit.ok && atLimit.value).toMatchObject({ balance: -500, debtCapacity: 0 });
    const beyond = await deduct(db.pool, { walletId: w.id, amount: 1, idempotencyKey: 'k3' });
    expect(beyond).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'debt_limit_exceeded', balance: -500, debtCapacity: 0 }),
    });
    expect((await getWallet(db.pool, w.id)).ok && (await getWallet(db.pool, w.id))).toMatchObject({
      value: { balance: -500 },
    });
  });

  it('returns the first answer for a repeated key and never deducts twice', async () => {
    const w = await wallet('org_idem');
    const a = await deduct(db.pool, { walletId: w.id, amount: 120, idempotencyKey: 'same' });
    const b = await deduct(db.pool, { walletId: w.id, amount: 120, idempotencyKey: 'same' });
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.value).toEqual({ ...a.value, replayed: true });
    expect((await listWalletTransactions(db.pool, w.id)).length).toBe(1);
    const conflict = await deduct(db.pool, { walletId: w.id, amount: 121, idempotencyKey: 'same' });
    expect(conflict.ok === false && conflict.error.code).toBe('idempotency_conflict');

    // A rejected key stays rejected, even after a top-up made room.
    const big = await deduct(db.pool, { walletId: w.id, amount: 1000, idempotencyKey: 'big' });
    expect(big.ok === false && big.error.code).toBe('debt_limit_exceeded');
    await credit(db.pool, { walletId: w.id, amount: 5000, idempotencyKey: 'topup-1', kind: 'top_up' });
    const bigAgain = await deduct(db.pool, { walletId: w.id, amount: 1000, idempotencyKey: 'big' });
    expect(bigAgain).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'debt_limit_exceeded', replayed: true, balance: -120 }),
    });
  });

  it('reports needs_recharge below the threshold and credits restore the balance', async () => {
    const w = await wallet('org_recharge', { recharge: { threshold: 1000, amount: 5000 } });
    await credit(db.pool, { walletId: w.id, amount: 1500, idempotencyKey: 'seed' });
    const d = await deduct(db.pool, { walletId: w.id, amount: 600, idempotencyKey: 'use-1' });
    expect(d.ok && d.value).toMatchObject({ balance: 900, needsRecharge: true, debtCapacity: 1400 });
    const c = await credit(db.pool, {
      walletId: w.id,
      amount: 5000,
      idempotencyKey: 'recharge-0',
      kind: 'recharge',
    });
    expect(c.ok && c.value).toMatchObject({ balance: 5900, needsRecharge: false });
  });

  it('validates input, reports unknown wallets and honours a per-wallet debt limit', async () => {
    const w = await wallet('org_custom', { debtLimit: 0 });
    expect((await deduct(db.pool, { walletId: w.id, amount: 0, idempotencyKey: 'z' })).ok).toBe(false);
    expect((await deduct(db.pool, { walletId: w.id, amount: 1.5, idempotencyKey: 'z' })).ok).toBe(false);
    const none = await deduct(db.pool, {
      walletId: '00000000-0000-0000-0000-000000000000',
      amount: 1,
      idempotencyKey: 'z',
    });
    expect(none.ok === false && none.error.code).toBe('not_found');
    const r = await deduct(db.pool, { walletId: w.id, amount: 1, idempotencyKey: 'z' });
    expect(r.ok === false && r.error.code).toBe('debt_limit_exceeded');
    const raised = await configureWallet(db.pool, w.id, { debtLimit: 50 });
    expect(raised.ok && raised.value.debtLimit).toBe(50);
    expect((await deduct(db.pool, { walletId: w.id, amount: 50, idempotencyKey: 'z2' })).ok).toBe(true);
  });
});

describe('the journal', () => {
  it('is append-only: updates, deletes and truncates are refused', async () => {
    const w = await wallet('org_append');
    await deduct(db.pool, { walletId: w.id, amount: 10, idempotencyKey: 'a' });
    await expect(
      db.pool.query('update public.wallet_transactions set amount = -1 where wallet_id = $1', [w.id]),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.pool.query('delete from public.wallet_entries where wallet_id = $1', [w.id]),
    ).rejects.toThrow(/append-only/);
    await expect(db.pool.query('truncate public.wallet_entries cascade')).rejects.toThrow(/append-only/);
  });

  it('refuses a transaction whose entries do not sum to zero, at commit', async () => {
    const w = await wallet('org_unbalanced');
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `insert into public.wallet_transactions (wallet_id, kind, idempotency_key, amount, balance_after, debt_limit, needs_recharge)
         values ($1, 'adjustment', 'manual', 100, 100, 500, false) returning id`,
        [w.id],
      );
      await client.query(`insert into public.wallet_entries values ($1, 1, $2, 'wallet', 100)`, [
        rows[0].id,
        w.id,
      ]);
      await expect(client.query('commit')).rejects.toThrow(/unbalanced/);
    } finally {
      client.release();
    }
    const integrity = await checkWalletIntegrity(db.pool, w.id);
    expect(integrity).toEqual({
      ok: true,
      value: { balance: 0, journalBalance: 0, unbalancedTransactions: 0 },
    });
  });

  it('keeps the balance column equal to the journal for any writer', async () => {
    const w = await wallet('org_direct');
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `insert into public.wallet_transactions (wallet_id, kind, idempotency_key, amount, balance_after, debt_limit, needs_recharge)
         values ($1, 'adjustment', 'manual', 70, 70, 500, false) returning id`,
        [w.id],
      );
      await client.query(
        `insert into public.wallet_entries values ($1, 1, $2, 'wallet', 70), ($1, 2, $2, 'adjustment', -70)`,
        [rows[0].id, w.id],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
    expect(await checkWalletIntegrity(db.pool, w.id)).toEqual({
      ok: true,
      value: { balance: 70, journalBalance: 70, unbalancedTransactions: 0 },
    });
  });
});

describe('the SQL functions against the model', () => {
  it('answer every sequence of deductions, top-ups and repeated keys exactly like the single-threaded model', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 800 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom('debit', 'debit', 'credit'),
            key: fc.integer({ min: 0, max: 15 }),
            amount: fc.integer({ min: 1, max: 600 }),
          }),
          { maxLength: 40 },
        ),
        async (debtLimit, ops) => {
          const w = await wallet(`org_prop_${run++}`, {
            debtLimit,
            recharge: { threshold: 100, amount: 1000 },
          });
          const model = newModel({ debtLimit, rechargeThreshold: 100 });
          for (const o of ops) {
            const key = `${o.kind}-${o.key}`;
            const expected =
              o.kind === 'debit' ? modelDeduct(model, key, o.amount) : modelCredit(model, key, o.amount);
            const input = { walletId: w.id, amount: o.amount, idempotencyKey: key };
            const actual = o.kind === 'debit' ? await deduct(db.pool, input) : await credit(db.pool, input);
            if (expected.status === 'applied') {
              expect(actual.ok && { ...actual.value, transactionId: 0 }).toEqual({
                transactionId: 0,
                balance: expected.balance,
                debtCapacity: expected.debtCapacity,
                needsRecharge: expected.needsRecharge,
                replayed: expected.replayed,
              });
            } else if (expected.status === 'rejected') {
              expect(actual).toEqual({
                ok: false,
                error: expect.objectContaining({
                  code: 'debt_limit_exceeded',
                  balance: expected.balance,
                  replayed: expected.replayed,
                }),
              });
            } else {
              expect(actual.ok === false && actual.error.code).toBe('idempotency_conflict');
            }
          }
          const integrity = await checkWalletIntegrity(db.pool, w.id);
          expect(integrity).toEqual({
            ok: true,
            value: {
              balance: model.wallet.balance,
              journalBalance: model.wallet.balance,
              unbalancedTransactions: 0,
            },
          });
        },
      ),
      { numRuns: 30 },
    );
  });
});
