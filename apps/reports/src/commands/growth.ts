import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type CollectOptions,
  defaultFunnel,
  type GenerateOptions,
  generateGrowthReport,
  type ReportFormat,
  renderGrowthReport,
  storeGrowthReport,
} from '@org/insights';
import { Option } from 'commander';
import type { CommandContext } from '../context.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { parseAsOf } from '../flags.ts';
import { type CommandModule, jsonOption } from '../program.ts';

/** Flags shared by `growth` and `insights`. */
export interface ReportFlags {
  asOf?: string;
  format: ReportFormat;
  output?: string;
  outDir?: string;
  app?: string;
  funnel: string;
  llm: boolean;
  json?: boolean;
}

export const formatOption = () =>
  new Option('--format <format>', 'output format').choices(['md', 'json', 'html']).default('md');

export function addReportOptions<T extends import('commander').Command>(command: T, name: string): T {
  return command
    .option(
      '--as-of <date>',
      'end of the period, exclusive: YYYY-MM-DD (midnight UTC) or an ISO instant (default: today 00:00 UTC)',
    )
    .addOption(formatOption())
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option('--out-dir <dir>', `write ${name}.md, ${name}.html and ${name}.json into this directory`)
    .option('--app <app>', 'only this app’s product events (default: all apps)')
    .option(
      '--funnel <events>',
      'signup,core-action,payment event names',
      `${defaultFunnel.signup},${defaultFunnel.coreAction},${defaultFunnel.payment}`,
    )
    .option('--no-llm', 'skip the Claude narrative even when ANTHROPIC_API_KEY is set')
    .addOption(jsonOption()) as T;
}

export function parseFunnel(value: string): NonNullable<CollectOptions['funnel']> {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => !/^[a-z][a-z0-9_.:-]{0,99}$/i.test(p))) {
    throw new CliError(
      `--funnel takes three event names (signup,core-action,payment), got "${value}"`,
      ExitCode.usage,
    );
  }
  return { signup: parts[0]!, coreAction: parts[1]!, payment: parts[2]! };
}

export function generateOptions(ctx: CommandContext, flags: ReportFlags): GenerateOptions {
  const { env } = ctx;
  return {
    asOf: parseAsOf(flags.asOf),
    // The clock: a period that is not over yet raises no findings from its partial figures.
    now: new Date(),
    mrrGoal: env.MRR_GOAL,
    collect: { currency: env.REPORTING_CURRENCY, app: flags.app, funnel: parseFunnel(flags.funnel) },
    narrative: {
      enabled: flags.llm,
      apiKey: env.ANTHROPIC_API_KEY,
      model: env.ANTHROPIC_MODEL,
      baseURL: env.ANTHROPIC_BASE_URL,
    },
  };
}

export function checkOutputFlags(flags: ReportFlags): void {
  if (flags.output && flags.outDir)
    throw new CliError('use either --output or --out-dir, not both', ExitCode.usage);
}

/** Writes the rendered report(s); returns the files written, or the text to print when there is no file. */
export async function writeReport(
  flags: ReportFlags,
  name: string,
  render: (format: ReportFormat) => string,
): Promise<{ files: string[]; text?: string }> {
  if (flags.outDir) {
    await mkdir(flags.outDir, { recursive: true });
    const files: string[] = [];
    for (const format of ['md', 'html', 'json'] as const) {
      const file = path.join(flags.outDir, `${name}.${format}`);
      await writeFile(file, render(format));
      files.push(file);
    }
    return { files };
  }
  if (flags.output) {
    await mkdir(path.dirname(path.resolve(flags.output)), { recursive: true });
    await writeFile(flags.output, render(flags.format));
    return { files: [flags.output] };
  }
  return { files: [], text: render(flags.format) };
}

export const growthCommand: CommandModule = {
  register(program, action) {
    const command = program
      .command('growth')
      .description(
        'growth report: revenue, users, engagement, product, funnel, insights and recommendations vs the previous period',
      )
      .addOption(new Option('--days <days>', 'period length in days').choices(['7', '30', '90']).default('7'))
      .option('--no-store', 'do not store the report in the database (the dashboard shows stored reports)');
    addReportOptions(command, 'growth').action(
      action(async (ctx, flags: ReportFlags & { days: string; store: boolean }) => {
        checkOutputFlags(flags);
        const options = generateOptions(ctx, flags);
        const db = await ctx.database();
        const bar = ctx.out.progress('growth report', 3);
        const report = await generateGrowthReport(db.pool, {
          ...options,
          days: Number(flags.days),
          onProgress: () => bar.increment(),
        }).finally(() => bar.stop());
        if (flags.store) {
          const id = await storeGrowthReport(db.pool, report, { app: flags.app, generatedBy: 'cli' });
          ctx.out.note(`stored as growth report #${id} (shown on the dashboard's Insights page)`);
        }
        const written = await writeReport(flags, 'growth', (f) => renderGrowthReport(report, f));
        if (written.text !== undefined && !flags.json) {
          ctx.out.result(null, () => written.text!.trimEnd());
        } else if (written.text !== undefined) {
          ctx.out.result(report, () => '');
        } else {
          ctx.out.result(
            {
              files: written.files,
              title: report.title,
              insights: report.insights.source,
              findings: report.insights.findings.length,
            },
            () => written.files.map((f) => `Wrote ${f}`).join('\n'),
          );
        }
        ctx.out.note(report.insights.sourceLine);
      }),
    );
  },
};
