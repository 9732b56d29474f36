import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { revenueSummary } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

let db: TestDatabase;
let env: Record<string, string>;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, REPORTING_CURRENCY: 'usd' };
  dir = await mkdtemp(path.join(tmpdir(), 'org-reports-fx-'));
  // Two customers billed in USD and EUR; the EUR one cancels (requested Feb 10, effective Mar 1).
  await db.pool.query(
    `insert into public.billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr, cancel_requested_at) values
     ('sub_u', 'si_u', 'cus_u', 'usd', '2025-12-01', null, 10000, null),
     ('sub_e', 'si_e', 'cus_e', 'eur', '2025-12-01', '2026-03-01', 5000, '2026-02-10')`,
  );
});
afterAll(() => db?.drop());

const args = ['revenue', '--from', '2026-01-01', '--to', '2026-04-01'];

describe('org-reports fx and revenue --currency', () => {
  it('revenue without a EUR rate exits 65 and names the pair and the day', async () => {
    const r = await runCli([...args, '--json'], env);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/No exchange rate EUR->USD on or before 2025-12-31/);
    expect(r.stderr).not.toMatch(/upsertFxRates|Unexpected error/);
  });

  it('fx set and fx import store rates; a bad CSV line exits 65 with its line number', async () => {
    const set = await runCli(['fx', 'set', 'eur', 'usd', '2025-12-01', '1.10', '--json'], env);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ inserted: 1, updated: 0, rates: 1 });
    const file = path.join(dir, 'rates.csv');
    await writeFile(
      file,
      'base,quote,date,rate,source\neur,usd,2026-02-01,1.20,ecb\nusd,jpy,2025-12-01,150,ecb\n',
    );
    const imported = await runCli(['fx', 'import', file, '--json'], env);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ inserted: 2, updated: 0, rates: 2 });
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, 'base,quote,date,rate\neur,usd,2026-02-30,1.2\n');
    const rejected = await runCli(['fx', 'import', bad], env);
    expect(rejected.code).toBe(65);
    expect(rejected.stderr).toMatch(/bad\.csv:2: date must be a calendar date/);
    const list = await runCli(['fx', 'list', '--currency', 'eur', '--json'], env);
    expect(
      JSON.parse(list.stdout).map((x: { rateDate: string; source: string }) => [x.rateDate, x.source]),
    ).toEqual([
      ['2026-02-01', 'ecb'],
      ['2025-12-01', 'manual'],
    ]);
    // A bad argument is a usage error (64), named by its argument, without internal function names.
    const badRate = await runCli(['fx', 'set', 'eur', 'usd', '2026-01-01', 'abc'], env);
    expect(badRate.code).toBe(64);
    expect(badRate.stderr).toMatch(/<rate> must be a positive decimal number like 1\.0845, got "abc"/);
    expect((await runCli(['fx', 'set', 'eur', 'usd', '2026-02-30', '1.1'], env)).code).toBe(64);
  });

  it('revenue converts into REPORTING_CURRENCY by default: integer minor units, the rates used and the choices', async () => {
    const r = await runCli([...args, '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.currency).toBe('usd');
    // 100.00 USD + 50.00 EUR at 1.10 at the start; the EUR customer churns at the Feb 28 rate (1.20).
    expect([json.mrrStart, json.mrr, json.movements.churn, json.fxEffect]).toEqual([
      15_500, 10_000, 6_000, 500,
    ]);
    expect(json.mrr).toBe(json.mrrStart + json.movements.net + json.fxEffect);
    for (const k of ['mrr', 'arr', 'mrrStart', 'fxEffect']) expect(Number.isInteger(json[k])).toBe(true);
    expect(json.exchangeRates.map((x: { rateDate: string }) => x.rateDate)).toEqual([
      '2025-12-01',
      '2026-02-01',
    ]);
    expect(json.choices).toEqual({
      currency: 'usd',
      currencies: 'convert',
      cancellation: 'period_end',
      meteredUsage: 'exclude',
    });
    const direct = await revenueSummary(db.pool, {
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
      currency: 'usd',
    });
    // The package's summary, plus its figures under their figure-catalog keys.
    const { figures, ...summary } = json;
    expect(summary).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(figures).toMatchObject({ 'revenue.mrr': 10_000, 'revenue.movements.churn': 6_000 });
  });

  it('--cancellation request, --currencies only and --currency jpy', async () => {
    const req = JSON.parse((await runCli([...args, '--cancellation', 'request', '--json'], env)).stdout);
    expect(req.choices.cancellation).toBe('request');
    // Churned on Feb 10 (at that day's rate, 1.20) instead of Mar 1.
    expect(req.movements.churn).toBe(6_000);
    const mid = ['--as-of', '2026-02-20', '--json'];
    expect(JSON.parse((await runCli([...args, ...mid], env)).stdout).mrr).toBe(16_000);
    expect(JSON.parse((await runCli([...args, ...mid, '--cancellation', 'request'], env)).stdout).mrr).toBe(
      10_000,
    );
    const eurOnly = JSON.parse(
      (await runCli([...args, '--currency', 'eur', '--currencies', 'only', '--json'], env)).stdout,
    );
    expect([eurOnly.mrrStart, eurOnly.mrr, eurOnly.movements.churn, eurOnly.exchangeRates]).toEqual([
      5_000,
      0,
      5_000,
      [],
    ]);
    const jpy = await runCli([...args, '--currency', 'jpy', '--json'], env);
    expect(jpy.code).toBe(65);
    expect(jpy.stderr).toMatch(/EUR->JPY/);
    expect((await runCli([...args, '--cancellation', 'never'], env)).code).toBe(64);
  });

  it('the human report prints the FX effect, the per-currency figures, the rates and the choices', async () => {
    const r = await runCli([...args, '--metered', 'last-period'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^FX effect\s+\$5\.00\s/m);
    expect(r.stdout).toMatch(/^MRR\s+\$100\.00\s+at start \$155\.00, -35\.5%$/m);
    expect(r.stdout).toMatch(/^EUR\s+€50\.00\s+-€50\.00\s+€0\.00$/m);
    expect(r.stdout).toMatch(/EUR->USD\s+1\.2000000000\s+2026-02-01/);
    expect(r.stdout).toMatch(/Metered prices: MRR includes the last closed period's usage/);
    expect(r.stdout).toMatch(/Cancellation: MRR ends at the end of the final service period/);
  });
});
