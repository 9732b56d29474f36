import path from 'node:path';
import { refreshCohorts } from '@org/cohorts';
import { findRepoRoot, migrate } from '@org/db';
import {
  type FigureKey,
  figure,
  generateGrowthReport,
  renderGrowthReport,
  storeGrowthReport,
} from '@org/insights';
import { runLifecycle, stages } from '@org/lifecycle';
import { Option } from 'commander';
import { z } from 'zod';
import type { CommandContext } from '../context.ts';
import { startDashboard } from '../dashboard.ts';
import { demoUsersFromWorld, runProductDemo } from '../demo/product-events.ts';
import { runStripeDemo } from '../demo/stripe-events.ts';
import { startWebhookApp } from '../demo/webhook-app.ts';
import { buildWorld } from '../demo/world.ts';
import { money } from '../figures.ts';
import { dayFlag, intFlag, parseFlags } from '../flags.ts';
import { cliInvocation } from '../invocation.ts';
import type { Progress } from '../output.ts';
import { type CommandModule, jsonOption } from '../program.ts';
import { databaseStatus } from './db.ts';
import { writeReport } from './growth.ts';

interface DemoFlags {
  seed: string;
  customers: string;
  months: string;
  outDir: string;
  days: string;
  end?: string;
  dashboard: boolean;
  json?: boolean;
}

const demoFlags = z.object({
  seed: intFlag(1, 2 ** 31 - 1),
  customers: intFlag(1, 200_000),
  months: intFlag(1, 60),
  days: intFlag(1, 365),
  end: dayFlag.optional(),
});

/** The world's exclusive end: `--end`, or the start of tomorrow (UTC), so its last day is today. */
export function demoWorldEnd(end: string | undefined, now: Date = new Date()): Date {
  if (end) return new Date(`${end}T00:00:00.000Z`);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** The dashboard URL that opens on the demo's period (its report's days, ending with the world). */
export function dashboardPeriodUrl(base: string, days: number, end: Date): string {
  const to = end.toISOString().slice(0, 10);
  const q = [7, 30, 90].includes(days)
    ? `days=${days}&to=${to}`
    : `from=${new Date(end.getTime() - days * 86_400_000).toISOString().slice(0, 10)}&to=${to}`;
  return `${base.replace(/\/$/, '')}/?${q}`;
}

/**
 * The whole stack on one machine: a seeded SaaS pushed through the real intake paths (signed Stripe
 * webhooks into the ledger, product events through the tracker), then cohorts, lifecycle and the
 * growth report. The world's last day is today (UTC), so the dashboard's default period shows it;
 * `--end` pins it, and the same seed and end give the same report.
 */
export async function runDemo(ctx: CommandContext, flags: DemoFlags) {
  const { seed, customers, months, days, end } = parseFlags(demoFlags, flags);
  const started = performance.now();
  let lap = performance.now();
  const step = (message: string) => {
    const now = performance.now();
    ctx.out.note(`• ${message} (${((now - lap) / 1000).toFixed(1)}s)`);
    lap = now;
  };
  /** A step with progress: a bar on a terminal, a line every few seconds when piped (CI logs). */
  const during = async <T>(label: string, total: number, fn: (p: Progress) => Promise<T>): Promise<T> => {
    const progress = ctx.out.progress(label, total);
    try {
      return await fn(progress);
    } finally {
      progress.stop();
    }
  };

  const db = await ctx.database();
  step(
    db.embedded?.started
      ? `started the embedded Postgres on 127.0.0.1:${db.embedded.port}`
      : `using ${db.source === 'embedded' ? 'the running embedded Postgres' : 'DATABASE_URL'}`,
  );
  const migrated = await migrate(db.pool);
  step(`schema: ${migrated.applied.length} migrations applied, ${migrated.alreadyApplied} already there`);

  const world = buildWorld({ seed, customers, months, end: demoWorldEnd(end) });
  step(
    `world: ${world.customers.length} customers, ${world.start.toISOString().slice(0, 10)} to ${world.end.toISOString().slice(0, 10)} (seed ${seed})`,
  );

  // The signed stream goes to the webhook app itself, started as its own process for the run.
  const webhookApp = await during('starting the webhook app', 0, () =>
    startWebhookApp({ databaseUrl: db.url, env: ctx.processEnv }),
  );
  step(`webhook app listening at ${webhookApp.url}`);
  // One bar for posting the signed deliveries, then it tracks the queue draining the inbox.
  const stripeBar = ctx.out.progress('stripe webhooks', 1);
  const stripe = await runStripeDemo({
    pool: db.pool,
    world,
    endpoint: webhookApp,
    onProgress: (p) => {
      stripeBar.setTotal(p.total);
      stripeBar.update(p.done);
    },
  }).finally(async () => {
    stripeBar.stop();
    await webhookApp.close();
  });
  step(
    `stripe: ${stripe.events} events, ${stripe.deliveries} signed deliveries (${stripe.duplicates} duplicates), ` +
      `${stripe.inbox.processed} processed, ${stripe.inbox.ignored} ignored, ${stripe.inbox.dead} dead`,
  );

  const users = demoUsersFromWorld(world.customers);
  const productBar = ctx.out.progress('product events', users.length);
  const product = await runProductDemo({
    pool: db.pool,
    seed,
    users,
    asOf: world.end,
    onProgress: (done) => productBar.update(done),
  }).finally(() => productBar.stop());
  step(
    `product: ${product.tracked} events tracked for ${product.users} users, ${product.inserted} stored, ${product.dropped} dropped`,
  );

  const cohorts = await during('cohorts', 0, () => refreshCohorts(db.pool, { asOf: world.end }));
  const lifecycle = await during('lifecycle', 0, () =>
    runLifecycle(db.pool, {
      app: product.app,
      asOf: world.end,
      levels: ['user', 'account'],
      dryRun: false,
      config: { provider: 'none' },
    }),
  );
  step(
    `cohorts: ${cohorts.changed} cells refreshed; lifecycle: ${lifecycle.transitions.length} stage transitions`,
  );

  const report = await during('growth report', 3, (progress) =>
    generateGrowthReport(db.pool, {
      asOf: world.end,
      days,
      onProgress: () => progress.increment(),
      mrrGoal: ctx.env.MRR_GOAL,
      collect: { currency: ctx.env.REPORTING_CURRENCY },
      narrative: {
        enabled: Boolean(ctx.env.ANTHROPIC_API_KEY),
        apiKey: ctx.env.ANTHROPIC_API_KEY,
        model: ctx.env.ANTHROPIC_MODEL,
        baseURL: ctx.env.ANTHROPIC_BASE_URL,
      },
    }),
  );
  await storeGrowthReport(db.pool, report, { generatedBy: 'demo' });
  const outDir = path.resolve(findRepoRoot(), flags.outDir);
  const written = await writeReport({ outDir, format: 'md', funnel: '', llm: false }, 'growth', (f) =>
    renderGrowthReport(report, f),
  );
  step(`growth report: ${written.files.map((f) => path.relative(findRepoRoot(), f)).join(', ')}`);

  const status = await databaseStatus(ctx);
  const dashboard = flags.dashboard
    ? await during('dashboard', 0, () =>
        startDashboard({
          dataDir: ctx.env.ORG_DATA_DIR,
          env: ctx.processEnv,
          adminPassword: ctx.env.ADMIN_PASSWORD,
          onNote: step,
        }),
      )
    : null;
  // The dashboard opens on the demo's own period: the report's days, ending with the world.
  const dashboardUrl = dashboard ? dashboardPeriodUrl(dashboard.url, days, world.end) : null;
  if (dashboard) step(`dashboard ${dashboard.started ? 'started' : 'already running'} at ${dashboard.url}`);
  return {
    seed,
    asOf: world.end.toISOString(),
    database: {
      source: status.source,
      server: status.server,
      database: status.database,
      migrations: status.applied.length,
    },
    stripe: {
      events: stripe.events,
      deliveries: stripe.deliveries,
      duplicates: stripe.duplicates,
      inbox: stripe.inbox,
    },
    product,
    revenue: stripe.summary,
    cohorts: { changed: cohorts.changed, unchanged: cohorts.unchanged },
    lifecycle: {
      transitions: lifecycle.transitions.length,
      userStages: Object.fromEntries(
        stages.map((stage) => [
          stage,
          lifecycle.transitions.filter((t) => t.subjectType === 'user' && t.to === stage).length,
        ]),
      ),
    },
    reports: written.files,
    dashboard: dashboard && { url: dashboardUrl, password: dashboard.password, pid: dashboard.pid },
    /** How to type org-reports in this user's shell (the next steps printed below use it). */
    cli: cliInvocation(ctx.processEnv),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

type DemoResult = Awaited<ReturnType<typeof runDemo>>;

function summary(r: DemoResult): string {
  // The catalog's labels, so each reads as on the dashboard and in the report.
  const shown = (key: FigureKey, minor: number) => `${figure(key).label} ${money(minor, r.revenue.currency)}`;
  const m = r.revenue.movements;
  return [
    '',
    `Revenue as of ${r.asOf.slice(0, 10)}: ${shown('revenue.mrr', r.revenue.mrr)}, ${shown('revenue.arr', r.revenue.arr)}, ${figure('revenue.payingCustomers').label} ${r.revenue.payingCustomers}`,
    `Last month's movements: ${[
      shown('revenue.movements.new', m.new),
      shown('revenue.movements.reactivation', m.reactivation),
      shown('revenue.movements.expansion', m.expansion),
      shown('revenue.movements.contraction', m.contraction),
      shown('revenue.movements.churn', m.churn),
    ].join(', ')}`,
    `Ledger: ${r.stripe.inbox.processed} events processed, ${r.stripe.inbox.dead} dead; product: ${r.product.inserted} events`,
    `Reports: ${r.reports.join(', ')}`,
    `Database: ${r.database.source} at ${r.database.server}/${r.database.database}`,
    ...(r.dashboard
      ? [
          `Dashboard: ${r.dashboard.url}  login password: ${r.dashboard.password}  (stop: ${r.cli} dashboard stop)`,
        ]
      : []),
    '',
    `Demo done in ${r.seconds}s. Explore: ${r.cli} revenue --from ${r.revenue.from.slice(0, 10)} --to ${r.revenue.to.slice(0, 10)}`,
  ].join('\n');
}

export const demoCommand: CommandModule = {
  register(program, action) {
    program
      .command('demo')
      .description(
        'run the whole stack on the embedded default: a seeded SaaS through signed Stripe webhooks and the event tracker, cohorts, lifecycle, growth report',
      )
      .option('--seed <n>', 'seed of the generated world (same seed, same report)', '42')
      .option('--customers <n>', 'customers to generate', '2000')
      .option('--months <n>', 'months of history', '12')
      .option('--days <n>', 'period of the growth report', '30')
      .option(
        '--end <YYYY-MM-DD>',
        "exclusive end of the world, for a reproducible run (default: tomorrow, so the world's last day is today, UTC)",
      )
      .addOption(
        new Option('--out-dir <dir>', 'where growth.md, growth.html and growth.json go').default('reports'),
      )
      .option('--no-dashboard', 'do not start the admin dashboard at the end')
      .addOption(jsonOption())
      .action(
        action(async (ctx, flags: DemoFlags) => {
          const result = await runDemo(ctx, flags);
          ctx.out.result(result, () => summary(result));
        }),
      );
  },
};
