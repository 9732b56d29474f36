import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deduct, listAuditRuns, listReconciliationRuns, listWallets, openWallet } from '../src/index.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('ledger health queries', () => {
  it('lists wallets most indebted first, with debt used and needs-recharge', async () => {
    const calm = await openWallet(db.pool, { ownerId: 'org_calm', currency: 'usd' });
    const low = await openWallet(db.pool, {
      ownerId: 'org_low',
      currency: 'usd',
      recharge: { threshold: 1000, amount: 5000 },
    });
    if (!calm.ok || !low.ok) throw new Error('wallets did not open');
    const spent = await deduct(db.pool, {
      walletId: low.value.id,
      amount: 300,
      idempotencyKey: 'k1',
      reason: 'usage',
    });
    expect(spent.ok).toBe(true);

    const all = await listWallets(db.pool);
    expect(all.map((w) => [w.ownerId, w.balance, w.debtUsed, w.needsRecharge])).toEqual([
      ['org_low', -300, 300, true],
      ['org_calm', 0, 0, false],
    ]);
    expect((await listWallets(db.pool, { needsRecharge: true })).map((w) => w.ownerId)).toEqual(['org_low']);
  });

  it('lists reconciliation and audit runs newest first', async () => {
    await db.pool.query(
      `insert into public.usage_reconciliation_runs (provider, range_start, range_end, status, provider_records, recorded_by_webhook, reconciled, reliability, started_at)
       values ('usage', '2026-11-01', '2026-11-02', 'succeeded', 100, 90, 10, 0.9, '2026-11-02T02:30:00Z'),
              ('usage', '2026-11-02', '2026-11-03', 'succeeded', 50, 50, 0, 1, '2026-11-03T02:30:00Z')`,
    );
    await db.pool.query(
      `insert into public.revenue_audit_runs (month, verdict, high, medium, low, report, ran_at)
       values ('2026-10', 'PASS', 0, 0, 1, '{}', '2026-11-01T06:00:00Z'), ('2026-11', 'WARN', 0, 2, 0, '{}', '2026-11-02T06:00:00Z')`,
    );
    const runs = await listReconciliationRuns(db.pool);
    expect(runs.map((r) => [r.rangeStart.toISOString().slice(0, 10), r.reliability, r.reconciled])).toEqual([
      ['2026-11-02', 1, 0],
      ['2026-11-01', 0.9, 10],
    ]);
    const audits = await listAuditRuns(db.pool, { limit: 1 });
    expect(audits).toEqual([expect.objectContaining({ month: '2026-11', verdict: 'WARN', medium: 2 })]);
  });
});
