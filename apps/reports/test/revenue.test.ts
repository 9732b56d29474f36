import { parseEvent, receiveEvent, revenueSummary, startQueue } from '@org/billing-ledger';
import { simulateStripeEvents } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
  const queue = await startQueue(db.pool);
  await queue.stop();
  for (const e of simulateStripeEvents({
    seed: 11,
    customers: 25,
    start: Date.UTC(2026, 0, 1) / 1000,
    days: 150,
  })) {
    const env = parseEvent(e);
    if (!env.ok) throw env.error;
    await receiveEvent(db.pool, env.value, JSON.stringify(e));
  }
});
afterAll(() => db?.drop());

describe('org-reports worker and revenue', () => {
  it('worker --exit-when-drained processes the inbox', async () => {
    const r = await runCli(['worker', '--exit-when-drained', '--json'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.processed).toBeGreaterThan(100);
    expect(out.stats).toMatchObject({ pending: 0, failed: 0, dead: 0 });
  });

  it('revenue --json prints the documented keys, equal to the package function', async () => {
    const r = await runCli(['revenue', '--from', '2026-03-01', '--to', '2026-05-01', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-05-01T00:00:00.000Z',
      currency: 'usd',
    });
    for (const k of ['mrr', 'arr', 'payingCustomers']) expect(typeof json[k]).toBe('number');
    expect(Object.keys(json.movements).sort()).toEqual([
      'churn',
      'contraction',
      'expansion',
      'net',
      'new',
      'reactivation',
    ]);
    const direct = await revenueSummary(db.pool, {
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-05-01T00:00:00Z'),
      currency: 'usd',
    });
    // The package's summary, plus its figures under their figure-catalog keys.
    const { figures, ...summary } = json;
    expect(summary).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(json.mrr).toBe(json.mrrStart + json.movements.net);
    expect(figures).toMatchObject({
      'revenue.mrr': json.mrr,
      'revenue.grossCashCollected': json.cash.collected,
      'revenue.cashCollected': json.cash.net,
    });
  });

  it('revenue prints a human table', async () => {
    const r = await runCli(['revenue', '--from', '2026-03-01', '--to', '2026-05-01'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MRR\s+\$[\d,]+\.\d\d\s+at start \$[\d,]+\.\d\d/m);
    expect(r.stdout).toMatch(/^Cash collected \(gross\)\s+\$[\d,]+\.\d\d$/m);
    expect(r.stdout).toMatch(/^Net cash collected\s+\$[\d,]+\.\d\d$/m);
  });

  it('bad dates and currencies exit 64', async () => {
    expect((await runCli(['revenue', '--from', '2026-02-30', '--to', '2026-05-01'], env)).code).toBe(64);
    expect((await runCli(['revenue', '--from', '2026-05-01', '--to', '2026-03-01'], env)).code).toBe(64);
    expect(
      (await runCli(['revenue', '--from', '2026-03-01', '--to', '2026-05-01', '--currency', 'dollars'], env))
        .code,
    ).toBe(64);
    expect((await runCli(['revenue', '--to', '2026-05-01'], env)).code).toBe(64);
  });
});
