import {
  defaultEventRegistry,
  inboxStats,
  registerWalletHandlers,
  startBillingSchedule,
  startQueue,
  startWorker,
} from '@org/billing-ledger';
import { z } from 'zod';
import { intFlag, parseFlags } from '../flags.ts';
import { type CommandModule, jsonOption } from '../program.ts';

const workerFlags = z.object({
  concurrency: intFlag(1, 64),
  batchSize: intFlag(1, 1000),
  retryLimit: intFlag(0, 100),
  exitWhenDrained: z.boolean().optional(),
});

export const workerCommand: CommandModule = {
  register(program, action) {
    program
      .command('worker')
      .description(
        'process Stripe events from the queue (runs until SIGINT/SIGTERM; several workers may run at once)',
      )
      .option('--concurrency <n>', 'parallel fetch loops', '2')
      .option('--batch-size <n>', 'events claimed and processed per transaction', '100')
      .option('--retry-limit <n>', 'retries before an event is dead', '5')
      .option('--exit-when-drained', 'stop once no event is pending or retrying')
      .addOption(jsonOption())
      .action(
        action(
          async (
            ctx,
            flags: { concurrency: string; batchSize: string; retryLimit: string; exitWhenDrained?: boolean },
          ) => {
            const { concurrency, batchSize, retryLimit } = parseFlags(workerFlags, flags);
            const db = await ctx.database();
            const queue = await startQueue(db.pool, {
              retry: { retryLimit },
              schedule: !flags.exitWhenDrained,
            });
            const started = Date.now();
            let failures = 0;
            const worker = startWorker({
              pool: db.pool,
              queue,
              registry: registerWalletHandlers(defaultEventRegistry()),
              concurrency,
              batchSize,
              onError: (eventId, error, dead) => {
                failures++;
                ctx.out.note(`event ${eventId} failed${dead ? ' (dead)' : ', will retry'}: ${error.message}`);
              },
            });
            // A long-running worker also runs the scheduled billing jobs (reconciliation, recovery, audit).
            const billingJobs = flags.exitWhenDrained
              ? null
              : await startBillingSchedule(queue, db.pool, ctx.env, {
                  onResult: (job) => ctx.out.note(`scheduled job ${job} done`),
                });
            ctx.out.note(`worker running (concurrency ${concurrency}, batch ${batchSize}); Ctrl-C to stop`);
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
            await worker.stop();
            await billingJobs?.stop();
            await queue.stop();
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
