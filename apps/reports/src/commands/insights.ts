import { generateInsightsReport, renderInsightsReport } from '@org/insights';
import { Option } from 'commander';
import { z } from 'zod';
import { intFlag, parseFlags } from '../flags.ts';
import type { CommandModule } from '../program.ts';
import {
  addReportOptions,
  checkOutputFlags,
  generateOptions,
  type ReportFlags,
  writeReport,
} from './growth.ts';

export const insightsCommand: CommandModule = {
  register(program, action) {
    const command = program
      .command('insights')
      .description(
        'weekly insights: trend over the last weeks, rule findings of the latest week, Claude narrative (rules only without ANTHROPIC_API_KEY)',
      )
      .addOption(new Option('--weeks <weeks>', 'number of weeks (1-12)').default('4'));
    addReportOptions(command, 'insights').action(
      action(async (ctx, flags: ReportFlags & { weeks: string }) => {
        const { weeks } = parseFlags(z.object({ weeks: intFlag(1, 12) }), { weeks: flags.weeks });
        checkOutputFlags(flags);
        const options = generateOptions(ctx, flags);
        const db = await ctx.database();
        const bar = ctx.out.progress('insights', weeks + 2);
        const report = await generateInsightsReport(db.pool, {
          ...options,
          weeks,
          onProgress: () => bar.increment(),
        }).finally(() => bar.stop());
        const written = await writeReport(flags, 'insights', (f) => renderInsightsReport(report, f));
        if (written.text !== undefined && !flags.json) ctx.out.result(null, () => written.text!.trimEnd());
        else if (written.text !== undefined) ctx.out.result(report, () => '');
        else
          ctx.out.result(
            {
              files: written.files,
              title: report.title,
              insights: report.source,
              findings: report.findings.length,
            },
            () => written.files.map((f) => `Wrote ${f}`).join('\n'),
          );
        ctx.out.note(report.sourceLine);
      }),
    );
  },
};
