import { readFile } from 'node:fs/promises';
import { type FxRateInput, listFxRates, parseFxCsv, upsertFxRates } from '@org/billing-ledger';
import { z } from 'zod';
import type { CommandContext } from '../context.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { currencyFlag, dayFlag, decimalFlag, intFlag, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

async function store(ctx: CommandContext, rates: FxRateInput[], source: string): Promise<undefined> {
  const db = await ctx.database();
  const r = await upsertFxRates(db.pool, rates, { source });
  if (!r.ok) throw r.error;
  ctx.out.result(
    { ...r.value, rates: rates.length },
    () => `${colour.bold('Exchange rates')}: ${r.value.inserted} added, ${r.value.updated} replaced`,
  );
  return undefined;
}

const setPositional = ['base', 'quote', 'date', 'rate'] as const;
const setArguments = z.object({ base: currencyFlag, quote: currencyFlag, date: dayFlag, rate: decimalFlag });
const listFlags = z.object({ currency: currencyFlag.optional(), limit: intFlag(1, 100_000) });

/** `org-reports fx set|import|list`: the exchange rates revenue reports convert with. */
export const fxCommand: CommandModule = {
  register(program, action) {
    const fx = program
      .command('fx')
      .description('exchange rates for revenue reports (fx_rates: 1 base = rate quote, per day)');
    fx.command('set')
      .description('store one rate (replaces the rate of the same pair and date)')
      .argument('<base>', 'currency converted from, e.g. eur')
      .argument('<quote>', 'currency converted to, e.g. usd')
      .argument('<date>', 'day the rate applies from, YYYY-MM-DD')
      .argument('<rate>', 'how many quote units one base unit buys, e.g. 1.0845')
      .option('--source <name>', 'where the rate comes from', 'manual')
      .addOption(jsonOption())
      .action(
        action(
          async (ctx, base: string, quote: string, date: string, rate: string, flags: { source: string }) => {
            const input = parseFlags(
              setArguments,
              { base, quote, date, rate },
              { positional: setPositional },
            );
            return store(ctx, [input], flags.source);
          },
        ),
      );
    fx.command('import')
      .description('store the rates of a CSV file with a header base,quote,date,rate[,source]')
      .argument('<file>', 'CSV file')
      .option('--source <name>', 'source for rows without one', 'import')
      .addOption(jsonOption())
      .action(
        action(async (ctx, file: string, flags: { source: string }) => {
          const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
            throw new CliError(`Cannot read ${file}: ${e.code ?? e.message}`, ExitCode.usage);
          });
          const parsed = parseFxCsv(text);
          if (!parsed.ok)
            throw new CliError(`${file}:${parsed.error.line}: ${parsed.error.message}`, ExitCode.dataError);
          await store(ctx, parsed.value, flags.source);
        }),
      );
    fx.command('list')
      .description('stored rates, newest first')
      .option('--currency <code>', 'only rates of this currency (as base or quote)')
      .option('--limit <n>', 'how many', '50')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: { currency?: string; limit: string }) => {
          const { limit, currency } = parseFlags(listFlags, flags);
          const db = await ctx.database();
          const rates = await listFxRates(db.pool, {
            ...(currency ? { currency } : {}),
            limit,
          });
          ctx.out.result(rates, () =>
            rates.length
              ? table(
                  rates.map((r) => [
                    r.rateDate,
                    `${r.base.toUpperCase()}->${r.quote.toUpperCase()}`,
                    r.rate,
                    r.source,
                  ]),
                  ['date', 'pair', 'rate', 'source'],
                )
              : 'No exchange rates stored (org-reports fx set|import).',
          );
        }),
      );
  },
};
