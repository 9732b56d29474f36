import { tryRevenueSummary } from '@org/billing-ledger';
import { Option } from 'commander';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { currencyFlag, instantFlag, parseFlags } from '../flags.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { formatRevenue, revenueJson } from '../revenue-output.ts';

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
          ctx.out.result(revenueJson(summary), () => formatRevenue(summary));
        }),
      );
  },
};
