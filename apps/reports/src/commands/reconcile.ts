import { httpUsageSource, reconcileUsage, slackNotifier } from '@org/billing-ledger';
import { z } from 'zod';
import { CliError, ExitCode } from '../exit-codes.ts';
import { dayFlag, parseFlags } from '../flags.ts';
import { colour } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';

/** Yesterday (UTC) as YYYY-MM-DD. */
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

export const reconcileCommand: CommandModule = {
  register(program, action) {
    const reconcile = program.command('reconcile').description('reconcile recorded data with its source');
    reconcile
      .command('usage')
      .description(
        'compare the usage provider’s records of a UTC day with those recorded from its webhooks; insert and deduct the missing ones; Slack alert below the reliability threshold',
      )
      .option('--date <YYYY-MM-DD>', 'the UTC day to reconcile (default: yesterday)')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: { date?: string }) => {
          const { env } = ctx;
          const { date } = parseFlags(z.object({ date: dayFlag }), { date: flags.date ?? yesterday() });
          if (!env.USAGE_PROVIDER_URL) {
            throw new CliError(
              'USAGE_PROVIDER_URL is not set: it names the usage provider API to reconcile against.',
              ExitCode.config,
            );
          }
          const db = await ctx.database();
          const source = httpUsageSource({
            provider: env.USAGE_PROVIDER_NAME,
            baseUrl: env.USAGE_PROVIDER_URL,
            ...(env.USAGE_PROVIDER_API_KEY ? { apiKey: env.USAGE_PROVIDER_API_KEY } : {}),
          });
          const run = await reconcileUsage(db.pool, source, {
            date,
            notifier: env.SLACK_WEBHOOK_URL ? slackNotifier(env.SLACK_WEBHOOK_URL) : null,
            threshold: env.USAGE_RELIABILITY_THRESHOLD,
          });
          if (!run.ok) throw run.error;
          const r = run.value;
          const pct = r.reliability === null ? 'n/a' : `${(r.reliability * 100).toFixed(1)}%`;
          ctx.out.result({ ...r, start: r.start.toISOString(), end: r.end.toISOString() }, () =>
            [
              `${colour.bold('Usage reconciliation')} ${r.provider} ${date} (run ${r.runId})`,
              `  provider records     ${r.providerRecords}`,
              `  recorded by webhook  ${r.recordedByWebhook}`,
              `  already reconciled   ${r.alreadyReconciled}`,
              `  reconciled now       ${r.reconciled}`,
              `  webhook reliability  ${r.reliability !== null && r.reliability < env.USAGE_RELIABILITY_THRESHOLD ? colour.red(pct) : pct}`,
              r.alerted
                ? '  Slack alert sent'
                : r.alertError
                  ? colour.red(`  Slack alert failed: ${r.alertError}`)
                  : '',
            ]
              .filter(Boolean)
              .join('\n'),
          );
        }),
      );
  },
};
