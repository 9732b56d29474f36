import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderAudit, runRevenueAudit } from '@org/billing-ledger';
import { stripeApi } from '@org/wiring';
import { Option } from 'commander';
import { z } from 'zod';
import type { CommandContext } from '../context.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { monthFlag, parseFlags } from '../flags.ts';
import type { CommandModule } from '../program.ts';

/** The Stripe adapter from STRIPE_SECRET_KEY (+ STRIPE_API_BASE for local Stripe-compatible servers). */
export function stripeApiFromEnv(ctx: CommandContext) {
  const api = stripeApi(ctx.env);
  if (!api)
    throw new CliError(
      'STRIPE_SECRET_KEY is not set: this command reads from the Stripe API.',
      ExitCode.config,
    );
  return api;
}

/**
 * `org-reports audit --month YYYY-MM`: Stripe against the ledger for one month.
 * Exit codes: 0 PASS, 1 WARN (MEDIUM findings), 2 FAIL (any HIGH finding).
 */
export const auditCommand: CommandModule = {
  register(program, action) {
    program
      .command('audit')
      .description(
        'revenue audit: Stripe payment intents, invoices, refunds and subscriptions against the ledger (exit 0 PASS, 1 WARN, 2 FAIL)',
      )
      .option('--month <YYYY-MM>', 'the UTC month to audit (default: the current month)')
      .addOption(new Option('--format <format>', 'report format').choices(['md', 'json']).default('md'))
      .option('--output <file>', 'write the report to this file instead of stdout')
      .option('--json', 'same as --format json')
      .action(
        action(
          async (ctx, flags: { month?: string; format: 'md' | 'json'; output?: string; json?: boolean }) => {
            const month = parseFlags(z.object({ month: monthFlag }), {
              month: flags.month ?? new Date().toISOString().slice(0, 7),
            }).month;
            const api = stripeApiFromEnv(ctx);
            const db = await ctx.database();
            const r = await runRevenueAudit(db.pool, api, { month, asOf: new Date() });
            if (!r.ok) throw r.error;
            const text = renderAudit(r.value, flags.json ? 'json' : flags.format);
            if (flags.output) {
              await mkdir(path.dirname(path.resolve(flags.output)), { recursive: true });
              await writeFile(flags.output, text);
              ctx.out.note(
                `Revenue audit ${month}: ${r.value.verdict} (${r.value.counts.HIGH} HIGH, ${r.value.counts.MEDIUM} MEDIUM, ${r.value.counts.LOW} LOW) -> ${flags.output}`,
              );
            } else ctx.out.result(r.value, () => text.trimEnd());
            return r.value.verdict === 'PASS'
              ? ExitCode.ok
              : r.value.verdict === 'WARN'
                ? ExitCode.warn
                : ExitCode.fail;
          },
        ),
      );
  },
};
