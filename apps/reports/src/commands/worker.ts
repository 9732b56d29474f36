import { inboxStats } from '@org/billing-ledger';
import { DEFAULT_WORKER_BATCH_SIZE, startLedgerRuntime } from '@org/wiring';
import { z } from 'zod';
import { intFlag, parseFlags } from '../flags.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const workerFlags = z.object({
  concurrency: intFlag(1, 64).optional(),
  batchSize: intFlag(1, 500).optional(),
  retryLimit: intFlag(0, 100).optional(),
  exitWhenDrained: z.boolean().optional(),
});

export const workerCommand: CommandModule = {
  register(program, action) {
    program
      .command('worker')
      .description(
        'process Stripe events from the queue (runs until SIGINT/SIGTERM; several workers may run at once)',
      )
      .option('--concurrency <n>', 'parallel fetch loops (default: LEDGER_WORKER_CONCURRENCY, 2)')
      .option(
        '--batch-size <n>',
        `events claimed and processed per transaction (default: LEDGER_WORKER_BATCH_SIZE, ${DEFAULT_WORKER_BATCH_SIZE})`,
      )
      .option('--retry-limit <n>', 'retries before an event is dead (default: LEDGER_RETRY_LIMIT, 5)')
      .option('--exit-when-drained', 'stop once no event is pending or retrying')
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: {
              concurrency?: string;
              batchSize?: string;
              retryLimit?: string;
              exitWhenDrained?: boolean;
            },
          ) => {
            const { concurrency, batchSize, retryLimit } = parseFlags(workerFlags, flags);
            const db = await ctx.database();
            const started = Date.now();
            let failures = 0;
            // The same runtime as the webhook app's in-process worker (@org/wiring), flags over env.
            // A long-running worker also runs the scheduled billing jobs (reconciliation, recovery, audit).
            const ledger = await startLedgerRuntime(db.pool, ctx.env, {
              worker: true,
              schedule: !flags.exitWhenDrained,
              overrides: {
                ...(concurrency !== undefined ? { LEDGER_WORKER_CONCURRENCY: concurrency } : {}),
                ...(batchSize !== undefined ? { LEDGER_WORKER_BATCH_SIZE: batchSize } : {}),
                ...(retryLimit !== undefined ? { LEDGER_RETRY_LIMIT: retryLimit } : {}),
              },
              onEventError: (eventId, error, dead) => {
                failures++;
                ctx.out.note(`event ${eventId} failed${dead ? ' (dead)' : ', will retry'}: ${error.message}`);
              },
              onJobResult: (job) => ctx.out.note(`scheduled job ${job} done`),
            });
            const worker = ledger.worker!;
            ctx.out.note(
              `worker running (concurrency ${concurrency ?? ctx.env.LEDGER_WORKER_CONCURRENCY}, batch ${batchSize ?? ctx.env.LEDGER_WORKER_BATCH_SIZE ?? DEFAULT_WORKER_BATCH_SIZE}); Ctrl-C to stop`,
            );
            await new Promise<void>((resolve) => {
              const stop = () => resolve();
              process.once('SIGINT', stop);
              process.once('SIGTERM', stop);
              if (flags.exitWhenDrained) {
                const timer = setInterval(async () => {
                  const s = await inboxStats(db.pool).catch(() => null);
                  if (s && s.pending === 0 && s.failed === 0 && s.processing === 0) {
                    clearInterval(timer);
                    resolve();
                  }
                }, 250);
              }
            });
            await ledger.stop();
            const stats = await inboxStats(db.pool);
            ctx.out.result(
              { processed: worker.processed, failures, seconds: (Date.now() - started) / 1000, stats },
              () =>
                `Worker stopped: ${worker.processed} events processed, ${failures} failed attempts; inbox has ${stats.pending} pending, ${stats.dead} dead.`,
            );
          },
        ),
      );
  },
};
