import { defaultDataDir } from '@org/db';
import { z } from 'zod';
import { dashboardStatus, startDashboard, stopDashboard } from '../dashboard.ts';
import { intFlag, parseFlags } from '../flags.ts';
import { type CommandModule, jsonOption } from '../program.ts';

export const dashboardCommand: CommandModule = {
  register(program, action) {
    const dashboard = program.command('dashboard').description('run the admin dashboard in the background');
    dashboard
      .command('start')
      .description('build the dashboard if needed and start it (next start) in the background')
      .option('--port <port>', 'preferred port (a free one is used if it is taken)', '3000')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: { port: string }) => {
          const { port } = parseFlags(z.object({ port: intFlag(1, 65_535) }), flags);
          const d = await startDashboard({
            dataDir: ctx.env.ORG_DATA_DIR,
            port,
            env: ctx.processEnv,
            adminPassword: ctx.env.ADMIN_PASSWORD,
            onNote: ctx.out.note,
          });
          ctx.out.result(
            d,
            () =>
              `Dashboard ${d.started ? 'started' : 'already running'} at ${d.url}  (login: ${d.password})`,
          );
        }),
      );
    dashboard
      .command('status')
      .description('whether the background dashboard runs, and where')
      .addOption(jsonOption())
      .action(
        action(async (ctx) => {
          const state = dashboardStatus(ctx.env.ORG_DATA_DIR ?? defaultDataDir());
          ctx.out.result(state ? { running: true, ...state } : { running: false }, () =>
            state ? `Running at ${state.url} (pid ${state.pid}).` : 'Not running.',
          );
        }),
      );
    dashboard
      .command('stop')
      .description('stop the background dashboard')
      .addOption(jsonOption())
      .action(
        action(async (ctx) => {
          const result = stopDashboard(ctx.env.ORG_DATA_DIR ?? defaultDataDir());
          ctx.out.result(result, () =>
            result.stopped ? 'Stopped the dashboard.' : 'The dashboard was not running.',
          );
        }),
      );
  },
};
