import { migrate } from '@org/db';
import { type CommandModule, jsonOption } from '../program.ts';

export const migrateCommand: CommandModule = {
  register(program, action) {
    program
      .command('migrate')
      .description(
        'apply pending supabase/migrations to the database (embedded server unless DATABASE_URL is set)',
      )
      .addOption(jsonOption())
      .action(
        action(async ({ database, out }) => {
          const db = await database();
          const result = await migrate(db.pool, {
            onApplied: (name, ms) => out.note(`applied ${name} (${ms} ms)`),
          });
          out.result({ source: db.source, ...result }, () =>
            result.applied.length === 0
              ? `Schema up to date (${result.alreadyApplied} migrations applied).`
              : `Applied ${result.applied.length} migration(s); ${result.alreadyApplied + result.applied.length} in total.`,
          );
        }),
      );
  },
};
