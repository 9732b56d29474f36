import {
  getEvent,
  type InboxStatus,
  inboxStats,
  inboxStatuses,
  listEvents,
  replayDead,
  replayEvent,
  startQueue,
} from '@org/billing-ledger';
import type { Pool } from '@org/db';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { intFlag, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const statusColour = (s: string) =>
  s === 'dead' ? colour.red(s) : s === 'failed' ? colour.yellow(s) : s === 'processed' ? colour.green(s) : s;

/** Replays send jobs through the queue (its schema comes with the migrations), so they hold a pg-boss client for the call. */
async function withQueue<T>(pool: Pool, fn: () => Promise<T>): Promise<T> {
  const queue = await startQueue(pool);
  try {
    return await fn();
  } finally {
    await queue.stop();
  }
}

const listFlags = z.object({
  status: z
    .string()
    .refine((s): s is InboxStatus => inboxStatuses.includes(s as InboxStatus), {
      error: `must be one of ${inboxStatuses.join(', ')}`,
    })
    .optional(),
  type: z.string().optional(),
  limit: intFlag(1, 10_000),
});

export const webhooksCommand: CommandModule = {
  register(program, action) {
    const webhooks = program
      .command('webhooks')
      .description('inspect and replay Stripe webhook events in the ledger inbox');
    webhooks
      .command('list')
      .description('events newest first, with status, attempts and last error')
      .option('--status <status>', `one of ${inboxStatuses.join(', ')}`)
      .option('--type <type>', 'Stripe event type, e.g. invoice.paid')
      .option('--limit <n>', 'how many', '50')
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(listFlags, raw);
          const { limit } = flags;
          const db = await ctx.database();
          const [events, stats] = await Promise.all([
            listEvents(db.pool, {
              limit,
              ...(flags.status ? { status: flags.status } : {}),
              ...(flags.type ? { type: flags.type } : {}),
            }),
            inboxStats(db.pool),
          ]);
          ctx.out.result({ stats, events }, () =>
            [
              `${colour.bold('Inbox')} ${stats.total} events: ${stats.pending} pending, ${stats.processing} processing, ${stats.failed} failed, ${stats.dead} dead, ${stats.processed} processed, ${stats.ignored} ignored` +
                (stats.oldestPendingAgeSeconds !== null
                  ? `; oldest pending ${stats.oldestPendingAgeSeconds}s`
                  : ''),
              '',
              events.length
                ? table(
                    events.map((e) => [
                      e.id,
                      e.type,
                      statusColour(e.status),
                      e.attempts,
                      e.createdAt.toISOString(),
                      (e.lastError ?? '').slice(0, 60),
                    ]),
                    ['id', 'type', 'status', 'attempts', 'created', 'last error'],
                  )
                : '(no events)',
            ].join('\n'),
          );
        }),
      );
    webhooks
      .command('show <id>')
      .description('one event with its payload')
      .addOption(jsonOption())
      .action(
        action(async (ctx, id: string) => {
          const db = await ctx.database();
          const event = await getEvent(db.pool, id);
          if (!event) throw new CliError(`No Stripe event ${id} in the inbox`, ExitCode.dataError);
          ctx.out.result(event, () =>
            [
              `${colour.bold(event.id)} ${event.type} (${statusColour(event.status)}, ${event.attempts} attempts)`,
              `created ${event.createdAt.toISOString()}, received ${event.receivedAt.toISOString()}, api ${event.apiVersion ?? 'n/a'}`,
              event.lastError ? colour.red(`last error: ${event.lastError}`) : '',
              JSON.stringify(event.payload, null, 2),
            ]
              .filter(Boolean)
              .join('\n'),
          );
        }),
      );
    webhooks
      .command('replay [id]')
      .description('put one event (or every dead one with --dead) back on the queue')
      .option('--dead', 'replay every dead event')
      .addOption(jsonOption())
      .action(
        action(async (ctx, id: string | undefined, flags: { dead?: boolean }) => {
          if (!id && !flags.dead) throw new CliError('give an event id or --dead', ExitCode.usage);
          if (id && flags.dead)
            throw new CliError('give either an event id or --dead, not both', ExitCode.usage);
          const db = await ctx.database();
          if (flags.dead) {
            const ids = await withQueue(db.pool, () => replayDead(db.pool));
            ctx.out.result({ replayed: ids }, () =>
              ids.length ? `Replayed ${ids.length} dead event(s): ${ids.join(', ')}` : 'No dead events.',
            );
            return;
          }
          const r = await withQueue(db.pool, () => replayEvent(db.pool, id!));
          if (!r.ok) throw new CliError(r.error.message, ExitCode.dataError);
          ctx.out.result(
            { replayed: [r.value.id] },
            () => `Replayed ${r.value.id} (${r.value.type}); a worker will process it.`,
          );
        }),
      );
  },
};
