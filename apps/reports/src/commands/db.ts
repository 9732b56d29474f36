import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir, embeddedServerStatus, migrationStatus, stopEmbeddedServer } from '@org/db';
import type { CommandContext } from '../context.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

export async function databaseStatus({ database, env }: CommandContext) {
  const db = await database();
  const { rows } = await db.pool.query<{ version: string; database: string }>(
    `select current_setting('server_version') as version, current_database() as database`,
  );
  const status = await migrationStatus(db.pool);
  const url = new URL(db.url);
  return {
    source: db.source,
    server: `${url.hostname}:${url.port || 5432}`,
    database: rows[0]!.database,
    version: rows[0]!.version,
    dataDir: db.source === 'embedded' ? (env.ORG_DATA_DIR ?? defaultDataDir()) : null,
    applied: status.applied.map((a) => ({ name: a.name, appliedAt: a.appliedAt })),
    pending: status.pending.map((p) => p.name),
    drifted: status.drifted,
  };
}

export function formatStatus(s: Awaited<ReturnType<typeof databaseStatus>>): string {
  const lines = [
    `${colour.bold('Database')}  ${s.source === 'embedded' ? 'embedded server' : 'DATABASE_URL'} at ${s.server}/${s.database} (PostgreSQL ${s.version})`,
    `${colour.bold('Migrations')} ${s.applied.length} applied, ${s.pending.length} pending${s.drifted.length ? colour.red(`, ${s.drifted.length} edited or missing`) : ''}`,
  ];
  const rows = [
    ...s.applied.map((a) => [colour.green('applied'), a.name, a.appliedAt.toISOString()]),
    ...s.pending.map((p) => [colour.yellow('pending'), p, '']),
    ...s.drifted.map((d) => [colour.red(d.reason), d.name, '']),
  ];
  if (rows.length) lines.push('', table(rows));
  return lines.join('\n');
}

export const dbCommand: CommandModule = {
  register(program, action) {
    const db = program.command('db').description('inspect or stop the database');
    db.command('status')
      .description('server, version, applied and pending migrations')
      .addOption(jsonOption())
      .action(
        action(async (ctx) => {
          const status = await databaseStatus(ctx);
          ctx.out.result(status, () => formatStatus(status));
        }),
      );
    db.command('stop')
      .description(
        'stop the embedded Postgres server cleanly (data is kept; the next command starts it again)',
      )
      .addOption(jsonOption())
      .action(
        action(async ({ env, out }) => {
          if (env.DATABASE_URL) {
            out.result(
              { stopped: false, reason: 'DATABASE_URL is set' },
              () => 'DATABASE_URL is set: no embedded server to stop.',
            );
            return;
          }
          const dataDir = env.ORG_DATA_DIR ?? defaultDataDir();
          if (!existsSync(path.join(dataDir, 'postgres'))) {
            out.result(
              { stopped: false, reason: 'no data folder' },
              () => `No embedded server data in ${dataDir}: nothing to stop.`,
            );
            return;
          }
          const before = embeddedServerStatus(dataDir);
          const { stopped } = await stopEmbeddedServer(dataDir);
          out.result({ stopped, ...(before.port ? { port: before.port } : {}) }, () =>
            stopped
              ? `Stopped the embedded server (port ${before.port}); data kept in ${before.dataDir}.`
              : 'The embedded server was not running.',
          );
        }),
      );
  },
};
