import {
  type Granularity,
  type RetentionMode,
  recentCohortRange,
  refreshCohorts,
  revenueRetention,
  storedUserRetention,
} from '@org/cohorts';
import { Option } from 'commander';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { parseAsOf } from './growth.ts';

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
          const db = await ctx.database();
          const result = await refreshCohorts(db.pool, { asOf: parseAsOf(flags.asOf), app: flags.app });
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
      .option('--cohorts <n>', 'number of recent cohorts', '12')
      .option('--as-of <date>', 'YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)')
      .option('--app <app>', 'one app (default: all apps together)')
      .option('--currency <code>', 'revenue: one currency')
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: {
              kind: 'users' | 'revenue';
              granularity: Granularity;
              mode: RetentionMode;
              cohorts: string;
              asOf?: string;
              app?: string;
              currency?: string;
            },
          ) => {
            const db = await ctx.database();
            const asOf = parseAsOf(flags.asOf);
            const count = Math.max(1, Number.parseInt(flags.cohorts, 10) || 12);
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
            const rows = await storedUserRetention(db.pool, {
              granularity: flags.granularity,
              mode: flags.mode,
              app: flags.app,
              ...range,
            });
            ctx.out.result(
              {
                kind: 'users',
                granularity: flags.granularity,
                mode: flags.mode,
                asOf: asOf.toISOString(),
                cohorts: rows,
              },
              () =>
                rows.length === 0
                  ? `No stored cohorts: run ${colour.bold('org-reports cohorts refresh')} first.`
                  : table(
                      rows.map((c) => [c.cohortStart, c.size, ...c.periods.map((p) => pct(p.rate))]),
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
          },
        ),
      );
  },
};
