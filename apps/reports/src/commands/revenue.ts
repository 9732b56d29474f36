import { minorUnitExponent, type RevenueSummary, tryRevenueSummary } from '@org/billing-ledger';
import { Option } from 'commander';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { currencyFlag, instantFlag, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

/** Minor units as a decimal amount with the currency's own number of decimals (JPY: none). */
export const money = (minor: number | null, currency: string) => {
  if (minor === null) return 'n/a';
  const decimals = minorUnitExponent(currency);
  return `${(minor / 10 ** decimals).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })} ${currency.toUpperCase()}`;
};
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export function formatRevenue(s: RevenueSummary): string {
  const m = (x: number | null) => money(x, s.currency);
  const rows: (string | number)[][] = [
    ['MRR', m(s.mrr), `from ${m(s.mrrStart)}`],
    ['ARR', m(s.arr), ''],
    ['Paying customers', s.payingCustomers, `from ${s.payingCustomersStart}`],
    ['ARPA', m(s.arpa), ''],
    ['New', m(s.movements.new), `${s.newCustomers} customers`],
    ['Reactivation', m(s.movements.reactivation), `${s.reactivatedCustomers} customers`],
    ['Expansion', m(s.movements.expansion), ''],
    ['Contraction', m(-s.movements.contraction), ''],
    ['Churn', m(-s.movements.churn), `${s.churnedCustomers} customers`],
    ['Net new MRR', m(s.movements.net), ''],
    ...(s.choices.currencies === 'convert'
      ? [['FX effect', m(s.fxEffect), 'standing MRR revalued by rate changes (not a movement)']]
      : []),
    ['Customer churn rate', pct(s.customerChurnRate), ''],
    ['Gross MRR churn', pct(s.grossMrrChurnRate), ''],
    ['Net MRR churn', pct(s.netMrrChurnRate), ''],
    ['Quick ratio', s.quickRatio === null ? 'n/a' : s.quickRatio.toFixed(2), ''],
    ['LTV', m(s.ltv), ''],
    ['NRR / GRR', `${pct(s.nrr)} / ${pct(s.grr)}`, ''],
    ['Subscriptions', `${s.activeSubscriptions} active`, `${s.trialingSubscriptions} trialing`],
    ['Failed payments', s.failedPayments, ''],
    ['Cash collected', m(s.cash.collected), `${s.cash.payments} payments`],
    ['Refunds', m(-s.cash.refunds), `${s.cash.refundCount} refunds`],
    ['Net cash', m(s.cash.net), ''],
    ['Usage revenue', m(s.usageRevenue.amount), `${s.usageRevenue.lines} paid metered lines`],
  ];
  const parts = [
    `${colour.bold('Revenue')} ${s.from.slice(0, 10)} .. ${s.to.slice(0, 10)} (MRR as of ${s.asOf}, ${s.currency.toUpperCase()})`,
    '',
    table(rows),
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

const revenueFlags = z.object({
  from: instantFlag,
  to: instantFlag,
  currency: currencyFlag.optional(),
  asOf: instantFlag.optional(),
  currencies: z.enum(['convert', 'only']),
  cancellation: z.enum(['period-end', 'request']),
  metered: z.enum(['exclude', 'last-period']),
});

export const revenueCommand: CommandModule = {
  register(program, action) {
    program
      .command('revenue')
      .description(
        'MRR, ARR, paying customers, MRR movements, churn, LTV, NRR and cash for [from, to) (MRR as of --to)',
      )
      .requiredOption('--from <date>', 'start of the period (inclusive), YYYY-MM-DD or ISO timestamp, UTC')
      .requiredOption('--to <date>', 'end of the period (exclusive)')
      .option(
        '--currency <code>',
        'report currency, ISO code (default REPORTING_CURRENCY); other currencies are converted with fx_rates',
      )
      .addOption(
        new Option('--currencies <mode>', 'convert every currency, or only the amounts billed in --currency')
          .choices(['convert', 'only'])
          .default('convert'),
      )
      .addOption(
        new Option('--cancellation <when>', 'when a cancellation takes MRR away')
          .choices(['period-end', 'request'])
          .default('period-end'),
      )
      .addOption(
        new Option('--metered <mode>', "metered prices: not MRR, or the last closed period's usage")
          .choices(['exclude', 'last-period'])
          .default('exclude'),
      )
      .option('--as-of <date>', 'compute as of this instant (caps --to)')
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(revenueFlags, raw);
          if (flags.to <= flags.from) throw new CliError('--to must be after --from', ExitCode.usage);
          const db = await ctx.database();
          const r = await tryRevenueSummary(db.pool, {
            from: flags.from,
            to: flags.to,
            currency: flags.currency ?? ctx.env.REPORTING_CURRENCY.toLowerCase(),
            ...(flags.asOf ? { asOf: flags.asOf } : {}),
            currencies: flags.currencies,
            cancellation: flags.cancellation === 'request' ? 'request' : 'period_end',
            meteredUsage: flags.metered === 'last-period' ? 'last_period' : 'exclude',
          });
          if (!r.ok) throw r.error;
          const summary = r.value;
          ctx.out.result(summary, () => formatRevenue(summary));
        }),
      );
  },
};
