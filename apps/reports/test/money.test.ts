import { credit, formatMoney, openWallet, type RevenueSummary } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { money } from '../src/figures.ts';
import { formatRevenue } from '../src/revenue-output.ts';
import { runCli } from './support.ts';

/**
 * The CLI's money is the ledger's formatter (Stripe's currency exponents): JPY has no minor unit,
 * HUF counts hundredths (Intl would print it whole, 100x off), KWD thousandths.
 */
const cases = [
  { currency: 'jpy', minor: 123_456, shown: '¥123,456' },
  { currency: 'huf', minor: 150_000, shown: 'HUF\u00a01,500.00' },
  { currency: 'kwd', minor: 1_234, shown: 'KWD\u00a01.234' },
] as const;

/** A summary whose every money field is a distinct amount of `currency`. */
function summaryIn(currency: string, base: number): RevenueSummary {
  const movements = { new: base + 1, reactivation: base + 2, expansion: base + 3, contraction: 4, churn: 5 };
  const net = movements.new + movements.reactivation + movements.expansion - 4 - 5;
  return {
    from: '2026-10-01T00:00:00.000Z',
    to: '2026-11-01T00:00:00.000Z',
    asOf: '2026-11-01T00:00:00.000Z',
    currency,
    choices: { currency, currencies: 'only', cancellation: 'period_end', meteredUsage: 'exclude' },
    choiceNotes: [],
    mrr: base,
    arr: base * 12,
    payingCustomers: 3,
    arpa: Math.round(base / 3),
    mrrStart: base - net,
    payingCustomersStart: 2,
    movements: { ...movements, net },
    fxEffect: 0,
    newCustomers: 1,
    reactivatedCustomers: 1,
    churnedCustomers: 1,
    customerChurnRate: 0.5,
    grossMrrChurnRate: 0.01,
    netMrrChurnRate: -0.02,
    quickRatio: 2,
    ltv: base * 7,
    nrr: 1.02,
    grr: 0.99,
    activeSubscriptions: 3,
    trialingSubscriptions: 0,
    failedPayments: 0,
    cash: { collected: base + 10, refunds: 6, net: base + 4, payments: 2, refundCount: 1 },
    usageRevenue: { amount: 7, lines: 1 },
    byCurrency: [],
    exchangeRates: [],
  };
}

describe('money in the CLI', () => {
  it.each(cases)('$currency: $minor minor units show as "$shown", as formatMoney shows them', (c) => {
    expect(formatMoney(c.minor, c.currency)).toBe(c.shown);
    expect(money(c.minor, c.currency)).toBe(c.shown);
    expect(money(null, c.currency)).toBe('n/a');
  });

  it.each(cases)('revenue: every amount in $currency as formatMoney shows it', (c) => {
    const s = summaryIn(c.currency, c.minor);
    const text = formatRevenue(s);
    const row = (label: string) => text.split('\n').find((l) => l.startsWith(`${label}  `)) ?? '';
    expect(row('MRR')).toContain(c.shown);
    for (const [label, minor] of [
      ['MRR', s.mrr],
      ['ARR', s.arr],
      ['ARPA', s.arpa!],
      ['LTV', s.ltv!],
      ['New-customer MRR', s.movements.new],
      ['Reactivation MRR', s.movements.reactivation],
      ['Expansion MRR', s.movements.expansion],
      ['Contraction MRR', s.movements.contraction],
      ['Churned MRR', s.movements.churn],
      ['Net new MRR', s.movements.net],
      ['Cash collected (gross)', s.cash.collected],
      ['Refunds', s.cash.refunds],
      ['Net cash collected', s.cash.net],
      ['Usage revenue', s.usageRevenue.amount],
    ] as const)
      expect(row(label), label).toMatch(
        new RegExp(
          `^${label.replace(/[()]/g, '\\$&')}\\s+${reEscape(formatMoney(minor, c.currency))}(\\s|$)`,
        ),
      );
    // The start of the period, beside MRR.
    expect(row('MRR')).toContain(`at start ${formatMoney(s.mrrStart, c.currency)}`);
  });

  it('revenue: the per-currency table shows each currency with its own exponent', () => {
    const s = {
      ...summaryIn('usd', 500_00),
      choices: {
        currency: 'usd',
        currencies: 'convert',
        cancellation: 'period_end',
        meteredUsage: 'exclude',
      },
      byCurrency: cases.map((c) => ({
        currency: c.currency,
        mrrStart: 0,
        mrr: c.minor,
        movements: { new: c.minor, reactivation: 0, expansion: 0, contraction: 0, churn: 0, net: c.minor },
      })),
    } satisfies RevenueSummary;
    const text = formatRevenue(s);
    for (const c of cases) {
      const line = text.split('\n').find((l) => l.startsWith(c.currency.toUpperCase())) ?? '';
      expect(line, c.currency).toContain(`${formatMoney(0, c.currency)}`);
      expect(line.match(new RegExp(reEscape(c.shown), 'g')), c.currency).toHaveLength(2);
    }
  });
});

describe('wallets show', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it.each(cases)('prints a $currency wallet in its currency, as formatMoney shows it', async (c) => {
    const owner = `org_${c.currency}`;
    const w = await openWallet(db.pool, { ownerId: owner, currency: c.currency, debtLimit: c.minor });
    if (!w.ok) throw w.error;
    const credited = await credit(db.pool, {
      walletId: w.value.id,
      amount: c.minor,
      idempotencyKey: `seed-${owner}`,
    });
    if (!credited.ok) throw credited.error;
    const run = await runCli(['wallets', 'show', owner, '--currency', c.currency], { DATABASE_URL: db.url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `balance ${c.shown}, debt limit ${c.shown}, capacity ${formatMoney(2 * c.minor, c.currency)}`,
    );
    // The journal row: amount and balance after it.
    expect(run.stdout.match(new RegExp(reEscape(c.shown), 'g'))?.length).toBeGreaterThanOrEqual(4);
    // --json keeps integer minor units.
    const json = JSON.parse(
      (await runCli(['wallets', 'show', owner, '--currency', c.currency, '--json'], { DATABASE_URL: db.url }))
        .stdout,
    );
    expect(json).toMatchObject({ balance: c.minor, debtLimit: c.minor });
  });
});

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
