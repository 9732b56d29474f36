import { appName, createApiKey, listApiKeys, revokeApiKey } from '@org/metrics';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const createFlags = z.object({
  app: appName,
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});
const listFlags = z.object({ app: appName.optional(), all: z.boolean().optional() });
const keyId = z.object({
  id: z.uuid({ error: (i) => `must be a key id (a UUID), got "${String(i.input)}"` }),
});

const day = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 16) : '-');

/** `org-reports keys create|list|revoke`: ingest API keys of @org/metrics (POST /v1/events). */
export const keysCommand: CommandModule = {
  register(program, action) {
    const keys = program
      .command('keys')
      .description('ingest API keys for product events (POST /v1/events): create, list, revoke');
    keys
      .command('create')
      .description('create a key for an app; the key is printed once (only its hash is stored)')
      .requiredOption('--app <app>', 'app whose events the key may send, e.g. web')
      .requiredOption('--name <name>', 'what the key is for, e.g. "web server"')
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(createFlags, raw);
          const db = await ctx.database();
          const key = await createApiKey(db.pool, flags);
          ctx.out.result(
            { id: key.id, app: flags.app, name: flags.name, prefix: key.prefix, key: key.key },
            () =>
              [
                `${colour.bold('Ingest API key')} ${key.id} for app ${flags.app} (${flags.name}):`,
                '',
                `  ${key.key}`,
                '',
                colour.yellow(
                  'Store it now: it is shown this once. Send it as "Authorization: Bearer <key>".',
                ),
              ].join('\n'),
          );
        }),
      );
    keys
      .command('list')
      .description('keys by id, app, name and prefix, newest first (never the keys themselves)')
      .option('--app <app>', 'only this app')
      .option('--all', 'include revoked keys')
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(listFlags, raw);
          const db = await ctx.database();
          const rows = await listApiKeys(db.pool, { app: flags.app, includeRevoked: Boolean(flags.all) });
          ctx.out.result(rows, () =>
            rows.length === 0
              ? `No ${flags.all ? '' : 'active '}ingest API keys${flags.app ? ` for ${flags.app}` : ''}.`
              : table(
                  rows.map((k) => [
                    k.id,
                    k.app,
                    k.name,
                    `mk_${k.prefix}_…`,
                    day(k.createdAt),
                    day(k.lastUsedAt),
                    k.revokedAt ? colour.red(day(k.revokedAt)) : '-',
                  ]),
                  ['id', 'app', 'name', 'key', 'created', 'last used', 'revoked'],
                ),
          );
        }),
      );
    keys
      .command('revoke')
      .description('revoke a key: ingest refuses it from then on')
      .argument('<id>', 'key id (from keys list)')
      .addOption(jsonOption())
      .action(
        action(async (ctx, id: string) => {
          parseFlags(keyId, { id }, { positional: ['id'] });
          const db = await ctx.database();
          const revoked = await revokeApiKey(db.pool, id, new Date());
          if (!revoked) throw new CliError(`No active ingest API key ${id}.`, ExitCode.dataError);
          ctx.out.result({ revoked: id }, () => `Revoked ingest API key ${id}.`);
        }),
      );
  },
};
