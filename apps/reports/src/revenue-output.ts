import type { RevenueSummary } from '@org/billing-ledger';
import { type FigureRow, figureTable, figureValues, money } from './figures.ts';
import { colour, table } from './output.ts';

/**
 * The summary's figures in the order the table shows them: the catalog's keys and labels (the
 * growth report's and the dashboard's), and the numbers the catalog does not define.
 */
export function revenueRows(s: RevenueSummary): FigureRow[] {
  const m = s.movements;
  const customers = (n: number) => `${n} customer${n === 1 ? '' : 's'}`;
  return [
    { key: 'revenue.mrr', value: s.mrr, start: s.mrrStart },
    { key: 'revenue.arr', value: s.arr },
    { key: 'revenue.payingCustomers', value: s.payingCustomers, start: s.payingCustomersStart },
    { key: 'revenue.arpa', value: s.arpa },
    { key: 'revenue.activeSubscriptions', value: s.activeSubscriptions },
    { label: 'Trialing subscriptions', text: String(s.trialingSubscriptions) },
    { key: 'revenue.newRevenue', value: m.new + m.reactivation },
    { key: 'revenue.movements.new', value: m.new, note: customers(s.newCustomers) },
    {
      key: 'revenue.movements.reactivation',
      value: m.reactivation,
      note: customers(s.reactivatedCustomers),
    },
    { key: 'revenue.movements.expansion', value: m.expansion },
    { key: 'revenue.movements.contraction', value: m.contraction },
    { key: 'revenue.movements.churn', value: m.churn, note: customers(s.churnedCustomers) },
    { key: 'revenue.movements.net', value: m.net },
    ...(s.choices.currencies === 'convert'
      ? [
          {
            label: 'FX effect',
            text: money(s.fxEffect, s.currency),
            note: 'standing MRR revalued by rate changes (not a movement)',
          },
        ]
      : []),
    { key: 'revenue.customerChurnRate', value: s.customerChurnRate },
    { key: 'revenue.grossMrrChurn', value: s.grossMrrChurnRate },
    { key: 'revenue.netMrrChurn', value: s.netMrrChurnRate },
    { key: 'revenue.quickRatio', value: s.quickRatio },
    { key: 'revenue.ltv', value: s.ltv },
    { key: 'revenue.nrr', value: s.nrr },
    { key: 'revenue.grr', value: s.grr },
    { key: 'revenue.grossCashCollected', value: s.cash.collected },
    {
      key: 'revenue.refunds',
      value: s.cash.refunds,
      note: `${s.cash.refundCount} refund${s.cash.refundCount === 1 ? '' : 's'}`,
    },
    { key: 'revenue.cashCollected', value: s.cash.net },
    { key: 'revenue.payments', value: s.cash.payments },
    { key: 'ledger.failedPayments', value: s.failedPayments },
    {
      label: 'Usage revenue',
      text: money(s.usageRevenue.amount, s.currency),
      note: `${s.usageRevenue.lines} paid metered line${s.usageRevenue.lines === 1 ? '' : 's'}`,
    },
  ];
}

/** `revenue --json`: the package's summary, and its figures under their catalog keys. */
export const revenueJson = (s: RevenueSummary) => ({ ...s, figures: figureValues(revenueRows(s)) });

export function formatRevenue(s: RevenueSummary): string {
  const parts = [
    `${colour.bold('Revenue')} ${s.from.slice(0, 10)} .. ${s.to.slice(0, 10)} (MRR as of ${s.asOf}, ${s.currency.toUpperCase()})`,
    '',
    figureTable(revenueRows(s), s.currency),
  ];
  if (s.byCurrency.length > 1 || (s.byCurrency[0] && s.byCurrency[0].currency !== s.currency)) {
    parts.push(
      '',
      colour.bold('By currency (unconverted; MRR = start + net in each)'),
      table(
        s.byCurrency.map((c) => [
          c.currency.toUpperCase(),
          money(c.mrrStart, c.currency),
          money(c.movements.net, c.currency),
          money(c.mrr, c.currency),
        ]),
        ['currency', 'MRR at start', 'net movements', 'MRR at end'],
      ),
    );
  }
  if (s.exchangeRates.length) {
    parts.push(
      '',
      colour.bold('Exchange rates used (fx_rates)'),
      table(
        s.exchangeRates.map((r) => [
          `${r.base.toUpperCase()}->${r.quote.toUpperCase()}`,
          r.inverse ? `1 / ${r.rate} (${r.quote.toUpperCase()}->${r.base.toUpperCase()})` : r.rate,
          r.rateDate,
          `${r.from} .. ${r.until}`,
        ]),
        ['pair', 'rate', 'rate date', 'applied'],
      ),
    );
  }
  parts.push('', colour.bold('Choices'), ...s.choiceNotes.map((n) => `  - ${n}`));
  return parts.join('\n');
}
