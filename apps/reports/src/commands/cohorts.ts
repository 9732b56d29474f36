import {
  recentCohortRange,
  refreshCohorts,
  revenueRetention,
  storedUserRetention,
  weightedRetentionSummary,
} from '@org/cohorts';
import { Option } from 'commander';
import { z } from 'zod';
import { asOfFlag, currencyFlag, intFlag, parseAsOf, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const showFlags = z.object({
  kind: z.enum(['users', 'revenue']),
  granularity: z.enum(['day', 'week', 'month']),
  mode: z.enum(['on', 'on_or_after']),
  cohorts: intFlag(1, 520),
  periods: intFlag(1, 520).optional(),
  asOf: asOfFlag,
  app: z.string().optional(),
  currency: currencyFlag.optional(),
});

const pct = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);

export const cohortsCommand: CommandModule = {
  register(program, action) {
    const cohorts = program
      .command('cohorts')
      .description('cohort retention: refresh the pre-computed tables, show matrices');
    cohorts
      .command('refresh')
      .description('recompute recent user and revenue cohorts (incremental, idempotent)')
      .option('--as-of <date>', 'YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)')
      .option('--app <app>', 'one app (default: all apps together)')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: { asOf?: string; app?: string }) => {
          const asOf = parseAsOf(flags.asOf);
          const db = await ctx.database();
          // Long on a large dataset: piped runs print a line every few seconds while it works.
          const progress = ctx.out.progress('cohorts refresh');
          const result = await refreshCohorts(db.pool, { asOf, app: flags.app }).finally(() =>
            progress.stop(),
          );
          ctx.out.result(
            result,
            () =>
              `Cohorts refreshed as of ${result.asOf}: ${result.changed} cells changed, ${result.unchanged} unchanged.`,
          );
        }),
      );
    cohorts
      .command('show')
      .description('print a retention matrix (users from the refreshed tables; revenue live from the ledger)')
      .addOption(
        new Option('--kind <kind>', 'users or revenue').choices(['users', 'revenue']).default('users'),
      )
      .addOption(
        new Option('--granularity <g>', 'cohort period').choices(['day', 'week', 'month']).default('week'),
      )
      .addOption(
        new Option('--mode <mode>', 'retained "on" period k or "on or after"')
          .choices(['on', 'on_or_after'])
          .default('on'),
      )
      .option('--cohorts <n>', 'number of recent cohorts (1-520)', '12')
      .option('--periods <n>', 'retention periods shown per cohort (1-520; default: every period reached)')
      .option('--as-of <date>', 'YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)')
      .option('--app <app>', 'one app (default: all apps together)')
      .option('--currency <code>', 'revenue: one currency')
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(showFlags, raw);
          const { asOf, cohorts: count } = flags;
          const db = await ctx.database();
          if (flags.kind === 'revenue') {
            const range = recentCohortRange('month', asOf, count);
            const rows = await revenueRetention(db.pool, { ...range, asOf, currency: flags.currency });
            ctx.out.result({ kind: 'revenue', asOf: asOf.toISOString(), cohorts: rows }, () =>
              rows.length === 0
                ? 'No paying customers in these cohorts.'
                : table(
                    rows.map((c) => [
                      c.cohortMonth,
                      c.currency,
                      c.customers,
                      ...c.months.map((m) => `${pct(m.nrr)}/${pct(m.grr)}`),
                    ]),
                    [
                      'cohort',
                      'cur',
                      'customers',
                      ...Array.from(
                        { length: Math.max(...rows.map((r) => r.months.length)) },
                        (_, k) => `M${k} NRR/GRR`,
                      ),
                    ],
                  ),
            );
            return;
          }
          const range = recentCohortRange(flags.granularity, asOf, count);
          const stored = await storedUserRetention(db.pool, {
            granularity: flags.granularity,
            mode: flags.mode,
            app: flags.app,
            ...range,
          });
          const rows =
            flags.periods === undefined
              ? stored
              : stored.map((c) => ({ ...c, periods: c.periods.slice(0, flags.periods) }));
          // METRICS.md's summary row: per period, the cohort-size-weighted mean over the cohorts that reached it.
          const summary = weightedRetentionSummary(rows);
          const cell = (p: { users: number | null; rate: number | null }) =>
            p.users === null ? '' : pct(p.rate);
          ctx.out.result(
            {
              kind: 'users',
              granularity: flags.granularity,
              mode: flags.mode,
              asOf: asOf.toISOString(),
              cohorts: rows,
              summary,
            },
            () =>
              rows.length === 0
                ? `No stored cohorts: run ${colour.bold('org-reports cohorts refresh')} first.`
                : table(
                    [
                      ...rows.map((c) => [c.cohortStart, c.size, ...c.periods.map(cell)]),
                      ['weighted', rows.reduce((n, c) => n + c.size, 0), ...summary.map(cell)],
                    ],
                    [
                      'cohort',
                      'users',
                      ...Array.from(
                        { length: Math.max(...rows.map((r) => r.periods.length)) },
                        (_, k) => `${flags.granularity[0]}${k}`,
                      ),
                    ],
                  ),
          );
        }),
      );
  },
};
