import { migrate } from '@org/db';
import { type CommandModule, jsonOption } from '../program.ts';
import { databaseStatus, formatStatus } from './db.ts';

export const demoCommand: CommandModule = {
  register(program, action) {
    program
      .command('demo')
      .description('run the whole stack on the embedded default: database, migrations, status')
      .addOption(jsonOption())
      .action(
        action(async (ctx) => {
          const started = performance.now();
          const db = await ctx.database();
          ctx.out.note(
            db.embedded?.started
              ? `Started the embedded Postgres on port ${db.embedded.port}.`
              : `Using ${db.source === 'embedded' ? 'the running embedded server' : 'DATABASE_URL'}.`,
          );
          const migrated = await migrate(db.pool, {
            onApplied: (name, ms) => ctx.out.note(`applied ${name} (${ms} ms)`),
          });
          const status = await databaseStatus(ctx);
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          ctx.out.result(
            { migrated, status, seconds: Number(seconds) },
            () => `${formatStatus(status)}\n\nDemo ready in ${seconds}s.`,
          );
        }),
      );
  },
};
