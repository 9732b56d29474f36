import {
  activationRate,
  activeUsers,
  featureUsage,
  funnel,
  stickiness,
  topUsers,
  userCounts,
} from '@org/metrics';
import { z } from 'zod';
import { asOfFlag, intFlag, parseFlags } from '../flags.ts';
import { table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const kpisFlags = z.object({
  asOf: asOfFlag,
  days: intFlag(1, 366),
  app: z.string().optional(),
  funnel: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine(
      (steps) =>
        steps.length >= 2 && steps.length <= 10 && steps.every((s) => /^[a-z][a-z0-9_]{0,63}$/.test(s)),
      {
        error: (issue) => `takes 2 to 10 snake_case event names, got "${String(issue.input)}"`,
      },
    ),
  activation: z.string().optional(),
});

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
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(kpisFlags, raw);
          const { days, funnel: steps } = flags;
          const db = await ctx.database();
          const to = flags.asOf;
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
            // Conversions after the as-of instant have not happened yet as of it.
            funnel(db.pool, { ...period, steps, asOf: to }),
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
        }),
      );
  },
};
