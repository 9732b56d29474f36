import {
  activationRate,
  activeUsers,
  featureUsage,
  funnel,
  stickiness,
  topUsers,
  userCounts,
} from '@org/metrics';
import { CliError, ExitCode } from '../exit-codes.ts';
import { table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { parseAsOf } from './growth.ts';

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

export const kpisCommand: CommandModule = {
  register(program, action) {
    program
      .command('kpis')
      .description(
        'product KPIs as of a date: DAU/WAU/MAU, stickiness, users, activation, funnel, features, top users',
      )
      .option(
        '--as-of <date>',
        'end of the period, exclusive: YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)',
      )
      .option('--days <days>', 'period length for users, activation, funnel and features', '30')
      .option('--app <app>', 'one app (default: all apps)')
      .option(
        '--funnel <events>',
        'comma-separated ordered event names (2 to 10)',
        'user_signed_up,enrichment_started,enrichment_completed,checkout_completed',
      )
      .option('--activation <event>', 'activation event (default: any feature event)')
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: { asOf?: string; days: string; app?: string; funnel: string; activation?: string },
          ) => {
            const days = Number.parseInt(flags.days, 10);
            if (!Number.isInteger(days) || days < 1 || days > 366)
              throw new CliError(`--days must be 1 to 366, got "${flags.days}"`, ExitCode.usage);
            const steps = flags.funnel.split(',').map((s) => s.trim());
            if (steps.length < 2 || steps.length > 10 || steps.some((s) => !/^[a-z][a-z0-9_]{0,63}$/.test(s)))
              throw new CliError(
                `--funnel takes 2 to 10 snake_case event names, got "${flags.funnel}"`,
                ExitCode.usage,
              );
            const db = await ctx.database();
            const to = parseAsOf(flags.asOf);
            const from = new Date(to.getTime() - days * 86_400_000);
            const period = { from, to, app: flags.app };
            const [active, stick, users, activation, steps_, features, top] = await Promise.all([
              activeUsers(db.pool, { asOf: to, app: flags.app }),
              stickiness(db.pool, { asOf: to, app: flags.app }),
              userCounts(db.pool, period),
              activationRate(db.pool, {
                ...period,
                ...(flags.activation ? { activation: { event: flags.activation } } : {}),
              }),
              funnel(db.pool, { ...period, steps }),
              featureUsage(db.pool, period),
              topUsers(db.pool, { ...period, limit: 10 }),
            ]);
            const result = {
              asOf: to.toISOString(),
              from: from.toISOString(),
              app: flags.app ?? null,
              activeUsers: active,
              stickiness: stick,
              users,
              activation,
              funnel: steps_,
              features,
              topUsers: top,
            };
            ctx.out.result(result, () =>
              [
                `Product KPIs for ${from.toISOString().slice(0, 10)} .. ${to.toISOString().slice(0, 10)} (exclusive)${flags.app ? `, app ${flags.app}` : ''}`,
                `DAU ${active.dau}  WAU ${active.wau}  MAU ${active.mau}  stickiness (avg DAU/MAU) ${pct(stick.dauOverMau)}  DAU/WAU ${pct(stick.dauOverWau)}`,
                `Users ${users.total} (new ${users.new})  activation ${pct(activation.rate)} (${activation.activated}/${activation.signedUp})`,
                '',
                table(
                  steps_.map((s) => [
                    s.step,
                    s.name,
                    s.users,
                    pct(s.conversion),
                    s.medianSecondsFromPrevious === null
                      ? '-'
                      : `${Math.round(s.medianSecondsFromPrevious / 60)} min`,
                  ]),
                  ['step', 'event', 'users', 'conversion', 'median from previous'],
                ),
                '',
                table(
                  features.map((f) => [f.name, f.events, f.users]),
                  ['feature', 'events', 'users'],
                ),
                '',
                table(
                  top.map((u) => [u.userId, u.activeDays, u.events, u.lastActiveDay]),
                  ['top user', 'active days', 'events', 'last active'],
                ),
              ].join('\n'),
            );
          },
        ),
      );
  },
};
