import { type BackfillSummary, backfillStripe, recoverMissedEvents, startQueue } from '@org/billing-ledger';
import { Option } from 'commander';
import { z } from 'zod';
import { exitCodeFor } from '../error-table.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { instantFlag, intFlag, parseFlags } from '../flags.ts';
import { colour, table } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { stripeApiFromEnv } from './audit.ts';

function formatSummary(s: BackfillSummary): string {
  const head = s.dryRun
    ? `${colour.bold('Stripe backfill (dry run: nothing written)')} last ${s.days} days as of ${s.asOf}`
    : `${colour.bold('Stripe backfill')} run ${s.runId}${s.resumed ? ' (resumed)' : ''}, last ${s.days} days as of ${s.asOf}`;
  const rows = s.resources.map((r) => [
    r.resource,
    r.listed,
    r.inserted,
    r.updated,
    r.skipped,
    r.errors ? colour.red(String(r.errors)) : 0,
  ]);
  rows.push([
    'total',
    s.totals.listed,
    s.totals.inserted,
    s.totals.updated,
    s.totals.skipped,
    s.totals.errors,
  ]);
  const lines = [
    head,
    '',
    table(rows, [
      'resource',
      'listed',
      s.dryRun ? 'new' : 'inserted',
      s.dryRun ? 'existing' : 'updated',
      'skipped',
      'errors',
    ]),
  ];
  lines.push(
    '',
    `Stripe API: ${s.stripe.requests} requests, ${s.stripe.rateLimited} rate-limited (429) and ${s.stripe.retries} retries.`,
  );
  for (const e of s.errorSamples.slice(0, 5)) lines.push(colour.red(`  ${e.resource} ${e.id}: ${e.message}`));
  return lines.join('\n');
}

const stripeFlags = z.object({
  days: intFlag(1, 3650),
  dryRun: z.boolean().optional(),
  resume: z.boolean().optional(),
  pageSize: intFlag(1, 100),
  asOf: instantFlag.optional(),
});

export const backfillCommand: CommandModule = {
  register(program, action) {
    const backfill = program
      .command('backfill')
      .description('load history from an external source into the ledger');
    backfill
      .command('stripe')
      .description(
        'list customers, products, prices, subscriptions (all) and the invoices, payment intents, charges and refunds of the last N days from Stripe, and upsert them through the webhook code path; resumable, rate-limited',
      )
      .option('--days <n>', 'window for invoices, payment intents, charges and refunds', '90')
      .option('--dry-run', 'list and validate only; write nothing')
      .option('--resume', 'continue the last unfinished run from its stored cursors')
      .addOption(
        new Option('--page-size <n>', 'objects per Stripe list call (1-100)').default('100').hideHelp(),
      )
      .addOption(
        new Option('--as-of <iso>', 'observation instant (default now; for reproducible runs)').hideHelp(),
      )
      .addOption(jsonOption())
      .action(
        action(async (ctx, raw: Record<string, unknown>) => {
          const flags = parseFlags(stripeFlags, raw);
          const { days, pageSize } = flags;
          const asOf = flags.asOf ?? new Date();
          if (flags.dryRun && flags.resume)
            throw new CliError('--dry-run and --resume do not combine', ExitCode.usage);
          const api = stripeApiFromEnv(ctx);
          const db = await ctx.database();
          const bar = ctx.out.progress('Backfilling Stripe', pageSize);
          const listed = new Map<string, { listed: number; more: boolean }>();
          let shown = 0;
          const r = await backfillStripe(db.pool, api, {
            days,
            asOf,
            dryRun: Boolean(flags.dryRun),
            resume: Boolean(flags.resume),
            pageSize,
            onProgress: (e) => {
              listed.set(e.resource, { listed: e.listed, more: e.hasMore });
              const total = [...listed.values()].reduce((t, x) => t + x.listed + (x.more ? pageSize : 0), 0);
              const done = [...listed.values()].reduce((t, x) => t + x.listed, 0);
              bar.setTotal(Math.max(total, done));
              bar.increment(done - shown);
              shown = done;
            },
          });
          bar.stop();
          if (!r.ok) {
            const resumable =
              r.error.code === 'stripe_error' && r.error.runId !== null
                ? ' Fix the cause and run again with --resume.'
                : '';
            throw new CliError(`${r.error.message}.${resumable}`, exitCodeFor(r.error).code);
          }
          ctx.out.result(r.value, () => formatSummary(r.value));
          return r.value.totals.errors > 0 ? ExitCode.dataError : ExitCode.ok;
        }),
      );
    backfill
      .command('events')
      .description(
        'missed-webhook recovery: list the Stripe events of the last N days (max 30) and feed the ones the inbox lacks through the normal intake',
      )
      .option('--days <n>', 'how far back (Stripe keeps 30 days of events)', '30')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: { days: string }) => {
          // Stripe keeps 30 days of events.
          const { days } = parseFlags(z.object({ days: intFlag(1, 30) }), flags);
          const api = stripeApiFromEnv(ctx);
          const db = await ctx.database();
          // Recovered events are queued like webhooks: make sure the queue exists (pg-boss schema + queue).
          const queue = await startQueue(db.pool);
          const r = await recoverMissedEvents(db.pool, api, {
            asOf: new Date(),
            days,
            queueSchema: queue.schema,
          }).finally(() => queue.stop({ graceful: false }));
          if (!r.ok) throw new CliError(`Stripe: ${r.error.message}`, exitCodeFor(r.error).code);
          const v = r.value;
          ctx.out.result({ ...v, since: v.since.toISOString() }, () =>
            [
              `${colour.bold('Missed-webhook recovery')} since ${v.since.toISOString()}`,
              `  events listed      ${v.listed}`,
              `  already received   ${v.alreadyReceived}`,
              `  recovered          ${v.recovered.length}${v.recovered.length ? ' (queued for processing)' : ''}`,
              ...v.invalid.map((e) => colour.red(`  invalid ${e.id}: ${e.error}`)),
            ].join('\n'),
          );
          return v.invalid.length ? ExitCode.dataError : ExitCode.ok;
        }),
      );
  },
};
