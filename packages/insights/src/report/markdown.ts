import { formatChange } from '../figures.ts';
import { fixed, formatMoney, formatPercent, formatValue } from '../format.ts';
import type { Figure, GrowthReport, ReportTable } from './model.ts';

/** Markdown that reads well in a GitHub issue: tables, a text progress bar, collapsible details. */
const severityLabel = {
  critical: '🔴 critical',
  warning: '🟠 warning',
  info: '🔵 info',
  positive: '🟢 positive',
} as const;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function figureTable(figures: Figure[], currency: string): string[] {
  if (figures.length === 0) return [];
  return [
    '| Metric | This period | Previous period | Change |',
    '| --- | ---: | ---: | ---: |',
    ...figures.map(
      (f) =>
        `| ${cell(f.label)} | ${formatValue(f.current, f.unit, currency)} | ${formatValue(f.previous, f.unit, currency)} | ${formatChange(f.change, f.changeStyle, f.unit, currency).text} |`,
    ),
    '',
  ];
}

function dataTable(table: ReportTable, currency: string): string[] {
  return [
    `**${cell(table.title)}**`,
    '',
    `| ${table.columns.map((c) => cell(c.label)).join(' | ')} |`,
    `| ${table.columns.map((c) => (c.unit ? '---:' : '---')).join(' | ')} |`,
    ...table.rows.map(
      (row) =>
        `| ${table.columns
          .map((c) => {
            const v = row[c.key];
            if (v === null || v === undefined) return '–';
            return typeof v === 'number' && c.unit ? formatValue(v, c.unit, currency) : cell(String(v));
          })
          .join(' | ')} |`,
    ),
    '',
  ];
}

function textBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `\`${'█'.repeat(filled)}${'░'.repeat(width - filled)}\``;
}

export function renderMarkdown(report: GrowthReport): string {
  const c = report.currency;
  const out: string[] = [
    `# ${report.title}`,
    '',
    `Current period \`${report.current.start}\` to \`${report.current.end}\` (exclusive), compared with \`${report.previous.start}\` to \`${report.previous.end}\`. Money in ${c.toUpperCase()}.`,
    '',
    `> **${cell(report.insights.narrative.headline)}**`,
    '',
  ];
  for (const section of report.sections) {
    out.push(`## ${section.title}`, '');
    const g = report.goal;
    if (section.id === 'revenue' && g) {
      if (g.progress !== null && g.mrr !== null) {
        out.push(
          `**MRR goal:** ${formatMoney(g.mrr, c)} of ${formatMoney(g.mrrGoal, c)} ${textBar(g.progress)} ${formatPercent(g.progress)}`,
          '',
        );
      } else {
        out.push(`**MRR goal:** ${formatMoney(g.mrrGoal, c)} (no MRR figure for this period)`, '');
      }
    }
    out.push(...figureTable(section.figures, c));
    for (const table of section.tables) out.push(...dataTable(table, c));
    for (const note of section.notes) out.push(`_${note}_`, '');
  }

  const i = report.insights;
  out.push('## Insights', '', i.narrative.summary, '');
  if (i.narrative.highlights.length)
    out.push('**Highlights**', '', ...i.narrative.highlights.map((h) => `- ${h}`), '');
  if (i.narrative.risks.length) out.push('**Risks**', '', ...i.narrative.risks.map((h) => `- ${h}`), '');
  if (i.findings.length) {
    out.push('**Rule findings**', '', '| Severity | Finding | Evidence |', '| --- | --- | --- |');
    for (const f of i.findings) {
      const evidence = f.evidence
        .map(
          (e) =>
            `${e.label}: ${formatValue(e.current, e.unit, c)}${e.previous !== undefined && e.previous !== null ? ` (prev ${formatValue(e.previous, e.unit, c)})` : ''}${e.threshold !== undefined ? `, threshold ${formatValue(e.threshold, e.unit, c)}` : ''}${e.changeThreshold !== undefined ? `, alert at ±${e.unit === 'ratio' ? `${fixed(e.changeThreshold * 100, 0)} pp` : formatPercent(e.changeThreshold, 0)} change` : ''}`,
        )
        .join('; ');
      out.push(`| ${severityLabel[f.severity]} | ${cell(f.title)} | ${cell(evidence)} |`);
    }
    out.push('');
  } else {
    out.push('No rule fired for this period.', '');
  }
  out.push(`_${i.sourceLine}_`, '');

  out.push('## Recommendations', '');
  if (report.recommendations.length === 0)
    out.push('Nothing to recommend: every figure is within its threshold.', '');
  report.recommendations.forEach((r, n) => {
    out.push(`${n + 1}. **${r.title}** (${r.priority}): ${r.detail}`);
  });
  if (report.recommendations.length) out.push('');

  out.push(
    '<details><summary>Metric choices used</summary>',
    '',
    ...report.metricChoices.map((m) => `- **${m.name}:** ${m.value}`),
    '',
  );
  if (i.skippedRules.length)
    out.push(
      `Rules without data: ${i.skippedRules.map((s) => `\`${s.rule}\` (${s.reason})`).join(', ')}.`,
      '',
    );
  if (report.missing.length) out.push(`Figures without data: ${report.missing.join('; ')}.`, '');
  out.push(
    '</details>',
    '',
    `<sub>org-reports growth · report format v${report.version} · as of ${report.asOf}</sub>`,
    '',
  );
  return out.join('\n');
}
