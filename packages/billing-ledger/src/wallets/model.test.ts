import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JournalRow, modelCredit, modelDeduct, newModel, replayJournal } from './model.ts';

const op = fc.record({
  kind: fc.constantFrom('debit', 'debit', 'debit', 'credit'),
  key: fc.integer({ min: 0, max: 40 }).map((n) => `k${n}`),
  amount: fc.integer({ min: 1, max: 700 }),
});

describe('wallet model', () => {
  it('never lets the balance fall below -debtLimit and a rejection changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(op, { maxLength: 200 }), (debtLimit, ops) => {
        const state = newModel({ debtLimit });
        for (const o of ops) {
          const before = state.wallet.balance;
          const r =
            o.kind === 'debit'
              ? modelDeduct(state, `d${o.key}`, o.amount)
              : modelCredit(state, `c${o.key}`, o.amount);
          expect(state.wallet.balance).toBeGreaterThanOrEqual(-debtLimit);
          if (r.status !== 'applied' || r.replayed) expect(state.wallet.balance).toBe(before);
          if (r.status !== 'idempotency_conflict') expect(r.debtCapacity).toBe(r.balance + debtLimit);
        }
      }),
    );
  });

  it('accepts a deduction exactly at the limit and rejects one unit more', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (debtLimit, funds) => {
          const state = newModel({ debtLimit, balance: funds });
          expect(modelDeduct(state, 'over', funds + debtLimit + 1).status).toBe('rejected');
          if (funds + debtLimit > 0) {
            expect(modelDeduct(state, 'exact', funds + debtLimit)).toMatchObject({
              status: 'applied',
              balance: 0 - debtLimit,
              debtCapacity: 0,
            });
          }
        },
      ),
    );
  });

  it('answers a repeated key with its first answer; the balance is the sum of applied operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const state = newModel();
        const first = new Map<string, unknown>();
        const journal: JournalRow[] = [];
        for (const [i, o] of ops.entries()) {
          const key = `${o.kind}:${o.key}`;
          const r =
            o.kind === 'debit' ? modelDeduct(state, key, o.amount) : modelCredit(state, key, o.amount);
          const seen = first.get(key) as { amount: number; r: typeof r } | undefined;
          if (seen) {
            if (seen.amount === o.amount) expect(r).toEqual({ ...seen.r, replayed: true });
            else expect(r.status).toBe('idempotency_conflict');
          } else {
            first.set(key, { amount: o.amount, r });
            if (r.status === 'applied')
              journal.push({
                id: i + 1,
                amount: o.kind === 'debit' ? -o.amount : o.amount,
                balanceAfter: r.balance,
                debtLimit: 500,
              });
          }
        }
        const replay = replayJournal(journal, []);
        expect(replay.problems).toEqual([]);
        expect(replay.balance).toBe(state.wallet.balance);
      }),
    );
  });

  it('flags a journal that breaks the limit or disagrees with its recorded balances', () => {
    const bad = replayJournal(
      [
        { id: 1, amount: -400, balanceAfter: -400, debtLimit: 500 },
        { id: 2, amount: -200, balanceAfter: -600, debtLimit: 500 },
        { id: 3, amount: 50, balanceAfter: 0, debtLimit: 500 },
      ],
      [{ amount: 10, balanceSeen: -400, debtLimit: 500, seenTransactionId: 1 }],
    );
    expect(bad.problems).toHaveLength(3);
  });
});
