import {
  deliverOutbox,
  type EmailProvider,
  kitProvider,
  type Level,
  lifecycleSeries,
  loopsProvider,
  runLifecycle,
  stageDistribution,
} from '@org/lifecycle';
import { Option } from 'commander';
import { z } from 'zod';
import type { CliEnv } from '../env.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { asOfFlag, intFlag, parseAsOf, parseFlags } from '../flags.ts';
import { table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

/** The email provider configured in env, or null for EMAIL_PROVIDER=none. */
export function emailProvider(env: CliEnv): EmailProvider | null {
  if (env.EMAIL_PROVIDER === 'kit') {
    if (!env.KIT_API_KEY) throw new CliError('EMAIL_PROVIDER=kit needs KIT_API_KEY', ExitCode.config);
    const tagIds = Object.fromEntries(
      (env.KIT_TAG_IDS ?? '')
        .split(',')
        .filter(Boolean)
        .map((p) => [p.split('=')[0]!, Number(p.split('=')[1])]),
    );
    return kitProvider({
      apiKey: env.KIT_API_KEY,
      tagIds,
      ...(env.KIT_API_BASE_URL ? { baseUrl: env.KIT_API_BASE_URL } : {}),
    });
  }
  if (env.EMAIL_PROVIDER === 'loops') {
    if (!env.LOOPS_API_KEY) throw new CliError('EMAIL_PROVIDER=loops needs LOOPS_API_KEY', ExitCode.config);
    return loopsProvider({
      apiKey: env.LOOPS_API_KEY,
      ...(env.LOOPS_API_BASE_URL ? { baseUrl: env.LOOPS_API_BASE_URL } : {}),
    });
  }
  return null;
}

const levelsOf = (level: string): Level[] => (level === 'both' ? ['user', 'account'] : [level as Level]);

export const lifecycleCommand: CommandModule = {
  register(program, action) {
    const lifecycle = program
      .command('lifecycle')
      .description('lifecycle stages, transitions and email-provider events');
    lifecycle
      .command('run')
      .description(
        'evaluate stages as of a date, record transitions once, enqueue (and deliver) provider events',
      )
      .option('--as-of <date>', 'YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)')
      .option('--app <app>', 'app whose events to read (default: METRICS_APP)')
      .addOption(
        new Option('--level <level>', 'users, accounts or both')
          .choices(['user', 'account', 'both'])
          .default('both'),
      )
      .option('--dry-run', 'compute and print the transitions, write nothing')
      .option('--no-deliver', 'enqueue provider events without sending them now')
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: { asOf?: string; app?: string; level: string; dryRun?: boolean; deliver: boolean },
          ) => {
            const asOf = parseAsOf(flags.asOf);
            const provider = emailProvider(ctx.env);
            const db = await ctx.database();
            const progress = ctx.out.progress('lifecycle run');
            const result = await runLifecycle(db.pool, {
              app: flags.app ?? ctx.env.METRICS_APP,
              asOf,
              levels: levelsOf(flags.level),
              dryRun: Boolean(flags.dryRun),
              config: { provider: provider?.name ?? 'none' },
            }).finally(() => progress.stop());
            const delivery =
              provider && !flags.dryRun && flags.deliver
                ? await deliverOutbox(db.pool, { provider, now: new Date() })
                : null;
            ctx.out.result({ ...result, delivery }, () => {
              const lines = [
                `${flags.dryRun ? 'Dry run: ' : ''}${result.evaluated.user} users and ${result.evaluated.account} accounts evaluated as of ${result.asOf}.`,
                `${result.transitions.length} transitions${flags.dryRun ? ' planned' : `, ${result.recorded} recorded, ${result.enqueued} provider events enqueued`}.`,
              ];
              if (delivery)
                lines.push(
                  `Delivered: ${delivery.sent} sent, ${delivery.retried} to retry, ${delivery.dead} dead.`,
                );
              const counts = Object.entries(result.distribution).flatMap(([level, d]) =>
                Object.entries(d).map(([stage, n]) => [level, stage, n ?? 0]),
              );
              if (counts.length) lines.push('', table(counts, ['level', 'stage', 'count']));
              return lines.join('\n');
            });
          },
        ),
      );
    lifecycle
      .command('show')
      .description('new / returning / resurrecting / dormant per interval, and the stage distribution')
      .addOption(
        new Option('--interval <interval>', 'interval').choices(['day', 'week', 'month']).default('week'),
      )
      .option('--periods <n>', 'number of intervals', '8')
      .option('--as-of <date>', 'YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)')
      .option('--app <app>', 'app (default: METRICS_APP)')
      .addOption(
        new Option('--level <level>', 'users or accounts').choices(['user', 'account']).default('user'),
      )
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: {
              interval: 'day' | 'week' | 'month';
              periods: string;
              asOf?: string;
              app?: string;
              level: Level;
            },
          ) => {
            const { asOf, periods: n } = parseFlags(
              z.object({ asOf: asOfFlag, periods: intFlag(1, 366) }),
              flags,
            );
            const db = await ctx.database();
            const app = flags.app ?? ctx.env.METRICS_APP;
            const from = new Date(asOf);
            if (flags.interval === 'month') from.setUTCMonth(from.getUTCMonth() - n);
            else from.setUTCDate(from.getUTCDate() - n * (flags.interval === 'week' ? 7 : 1));
            const [series, distribution] = await Promise.all([
              lifecycleSeries(db.pool, { interval: flags.interval, from, to: asOf, app, level: flags.level }),
              stageDistribution(db.pool, { app, asOf, level: flags.level }),
            ]);
            ctx.out.result({ app, asOf: asOf.toISOString(), level: flags.level, series, distribution }, () =>
              [
                table(
                  series.map((p) => [p.period, p.new, p.returning, p.resurrecting, -p.dormant]),
                  ['period', 'new', 'returning', 'resurrecting', 'dormant'],
                ),
                '',
                table(
                  distribution.map((d) => [d.stage, d.count]),
                  ['stage', 'count'],
                ),
              ].join('\n'),
            );
          },
        ),
      );
  },
};
