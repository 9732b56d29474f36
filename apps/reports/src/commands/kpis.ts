import {
  defaultActivation,
  defaultFunnelSteps,
  defaultFunnelWindowDays,
  formatDuration,
  formatPercent,
} from '@org/insights';
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
import { type FigureRow, figureTable, figureValues } from '../figures.ts';
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

const pct = (r: number | null) => (r === null ? '-' : formatPercent(r));

const sameSteps = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((s, i) => s === b[i]);

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
        defaultFunnelSteps.join(','),
      )
      .option(
        '--activation <event>',
        `activation event, done within ${defaultActivation.windowDays} days of signup`,
        defaultActivation.event,
      )
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
            // The definitions of the growth report and the dashboard (@org/insights), so "Activation
            // rate" and the funnel conversions are the same numbers everywhere.
            activationRate(db.pool, {
              ...period,
              activation: { event: flags.activation ?? defaultActivation.event },
              windowDays: defaultActivation.windowDays,
              asOf: to,
            }),
            // Conversions after the as-of instant have not happened yet as of it.
            funnel(db.pool, { ...period, steps, windowDays: defaultFunnelWindowDays, asOf: to }),
            featureUsage(db.pool, period),
            topUsers(db.pool, { ...period, limit: 10 }),
          ]);
          // Catalog figures only where the definition is the catalog's: another activation event or
          // funnel is another number, under another label and no catalog key.
          const activationEvent = flags.activation ?? defaultActivation.event;
          const defaultFunnel = sameSteps(steps, defaultFunnelSteps);
          const activationNote = `${activation.activated} of ${activation.signedUp} signups did ${activationEvent} within ${activation.windowDays} days`;
          const rows: FigureRow[] = [
            { key: 'engagement.dau', value: active.dau, note: `on ${active.day}` },
            { key: 'engagement.wau', value: active.wau },
            { key: 'engagement.mau', value: active.mau },
            { key: 'engagement.stickiness', value: stick.dauOverMau },
            { key: 'engagement.dauOverWau', value: stick.dauOverWau },
            { key: 'users.total', value: users.total },
            { key: 'users.new', value: users.new },
            activationEvent === defaultActivation.event
              ? { key: 'users.activationRate', value: activation.rate, note: activationNote }
              : {
                  label: `Activation rate (${activationEvent})`,
                  text: pct(activation.rate),
                  note: activationNote,
                },
            ...(defaultFunnel
              ? ([
                  { key: 'funnel.signupToCoreAction', value: steps_[1]?.conversionFromPrevious ?? null },
                  { key: 'funnel.coreActionToPayment', value: steps_[2]?.conversionFromPrevious ?? null },
                ] satisfies FigureRow[])
              : []),
          ];
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
            figures: figureValues(rows),
          };
          ctx.out.result(result, () =>
            [
              `Product KPIs for ${from.toISOString().slice(0, 10)} .. ${to.toISOString().slice(0, 10)} (exclusive)${flags.app ? `, app ${flags.app}` : ''}`,
              '',
              figureTable(rows, ctx.env.REPORTING_CURRENCY),
              '',
              `Funnel (${defaultFunnelWindowDays}-day window from step 1)`,
              table(
                steps_.map((s) => [
                  s.step,
                  s.name,
                  s.users,
                  s.step === 1 ? '-' : pct(s.conversionFromPrevious),
                  pct(s.conversion),
                  s.medianSecondsFromPrevious === null ? '-' : formatDuration(s.medianSecondsFromPrevious),
                ]),
                ['step', 'event', 'users', 'from previous', 'from step 1', 'median from previous'],
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
