import { z } from 'zod';
import type { NarrativeResult } from '../anthropic.ts';
import { type FigureKey, figure, formatChange } from '../figures.ts';
import { formatValue } from '../format.ts';
import { narrativeSchema } from '../narrative/schema.ts';
import { changeOf } from '../rules/change.ts';
import { type RuleOutcome, ruleIds } from '../rules/engine.ts';
import type { MetricsSnapshot } from '../snapshot.ts';
import { findingSchema, llmUsageSchema, type MetricChoice, REPORT_VERSION, unitSchema } from './model.ts';
import { escapeXml as esc, lineChart } from './svg.ts';

/**
 * The weekly insights report: a trend of key figures over the last N weeks, the rule findings of
 * the latest week against the one before, and the narrative. JSON form = this schema (versioned).
 */
export const trendSchema = z.object({
  key: z.string(),
  label: z.string(),
  unit: unitSchema,
  values: z.array(z.number().nullable()).describe('One value per week, oldest first'),
});

export const insightsReportSchema = z.object({
  version: z.literal(REPORT_VERSION),
  kind: z.literal('insights'),
  title: z.string(),
  asOf: z.iso.datetime(),
  currency: z.string(),
  weeks: z.array(z.object({ start: z.iso.datetime(), end: z.iso.datetime() })),
  trends: z.array(trendSchema),
  source: z.enum(['llm', 'rules']),
  sourceLine: z.string(),
  fallback: z.object({ code: z.string(), message: z.string() }).nullable(),
  usage: llmUsageSchema.nullable(),
  narrative: narrativeSchema,
  findings: z.array(findingSchema),
  skippedRules: z.array(z.object({ rule: z.enum(ruleIds), reason: z.string() })),
  metricChoices: z.array(z.object({ name: z.string(), value: z.string() })),
  missing: z.array(z.string()),
});

export type InsightsReport = z.infer<typeof insightsReportSchema>;
type Trend = z.infer<typeof trendSchema>;

/** The weekly trend: catalog figures, week by week (averages, not a single day's DAU). */
const trendKeys: FigureKey[] = [
  'revenue.mrr',
  'revenue.newRevenue',
  'users.new',
  'engagement.wau',
  'engagement.averageDau',
  'users.activationRate',
  'engagement.stickiness',
  'funnel.signupToCoreAction',
  'funnel.coreActionToPayment',
];

export interface BuildInsightsInput {
  asOf: Date;
  /** Weekly snapshots, oldest first; the last one is the current week. */
  weeks: MetricsSnapshot[];
  outcome: RuleOutcome;
  narrative: NarrativeResult;
  sourceLine: string;
  metricChoices: MetricChoice[];
  unavailable?: string[];
}

/** Pure. */
export function buildInsightsReport(input: BuildInsightsInput): InsightsReport {
  const weeks = input.weeks;
  const last = weeks.at(-1);
  if (!last) throw new RangeError('buildInsightsReport needs at least one week');
  const specs = trendKeys.map(figure);
  const trends = specs
    .map((t) => ({ key: t.key, label: t.label, unit: t.unit, values: weeks.map((w) => t.read(w) ?? null) }))
    .filter((t) => t.values.some((v) => v !== null));
  const missing = specs.filter((t) => !trends.some((x) => x.key === t.key)).map((t) => t.label);
  const n = input.narrative;
  return {
    version: REPORT_VERSION,
    kind: 'insights',
    title: `Growth insights: ${weeks.length} week${weeks.length === 1 ? '' : 's'} to ${last.period.end.slice(0, 10)} (exclusive)`,
    asOf: input.asOf.toISOString(),
    currency: last.currency,
    weeks: weeks.map((w) => w.period),
    trends,
    source: n.source,
    sourceLine: input.sourceLine,
    fallback: n.source === 'rules' ? n.fallback : null,
    usage: n.usage ?? null,
    narrative: n.narrative,
    findings: input.outcome.findings.map((f) => findingSchema.parse(f)),
    skippedRules: input.outcome.skipped,
    metricChoices: input.metricChoices,
    missing: [...missing, ...(input.unavailable ?? [])],
  };
}

const weekLabel = (w: { start: string }) => w.start.slice(5, 10);

/** A trend's change style from the catalog (a key unknown to this version: by its unit). */
function changeStyleOf(t: Trend) {
  try {
    return figure(t.key as FigureKey).change;
  } catch {
    return t.unit === 'ratio' ? 'points' : t.unit === 'number' ? 'absolute' : 'relative';
  }
}

export function renderInsightsMarkdown(r: InsightsReport): string {
  const c = r.currency;
  const out = [`# ${r.title}`, '', `> **${r.narrative.headline}**`, '', r.narrative.summary, ''];
  if (r.trends.length) {
    out.push('## Weekly trend', '');
    out.push(`| Metric | ${r.weeks.map((w) => `Week of ${weekLabel(w)}`).join(' | ')} | Last change |`);
    out.push(`| --- | ${r.weeks.map(() => '---:').join(' | ')} | ---: |`);
    for (const t of r.trends) {
      const change = changeOf(t.values.at(-1), t.values.at(-2));
      out.push(
        `| ${t.label} | ${t.values.map((v) => formatValue(v, t.unit, c)).join(' | ')} | ${formatChange(change, changeStyleOf(t), t.unit, c).text} |`,
      );
    }
    out.push('');
  }
  out.push('## Findings', '');
  if (r.findings.length === 0) out.push('No rule fired for the latest week.', '');
  for (const f of r.findings) out.push(`- **${f.severity}**: ${f.title}`);
  if (r.findings.length) out.push('');
  if (r.narrative.highlights.length)
    out.push('**Highlights**', '', ...r.narrative.highlights.map((h) => `- ${h}`), '');
  if (r.narrative.risks.length) out.push('**Risks**', '', ...r.narrative.risks.map((h) => `- ${h}`), '');
  out.push('## Recommendations', '');
  if (r.narrative.recommendations.length === 0) out.push('Nothing to recommend.', '');
  out.push(
    ...r.narrative.recommendations.map((x, i) => `${i + 1}. **${x.title}** (${x.priority}): ${x.detail}`),
  );
  if (r.narrative.recommendations.length) out.push('');
  out.push(`_${r.sourceLine}_`, '');
  out.push(
    '<details><summary>Metric choices used</summary>',
    '',
    ...r.metricChoices.map((m) => `- **${m.name}:** ${m.value}`),
    '',
  );
  if (r.missing.length) out.push(`Without data: ${r.missing.join('; ')}.`, '');
  out.push(
    '</details>',
    '',
    `<sub>org-reports insights · report format v${r.version} · as of ${r.asOf}</sub>`,
    '',
  );
  return out.join('\n');
}

export function renderInsightsHtml(r: InsightsReport): string {
  const c = r.currency;
  const parts = [
    `<h1>${esc(r.title)}</h1>`,
    `<p class="headline">${esc(r.narrative.headline)}</p>`,
    `<p>${esc(r.narrative.summary)}</p>`,
  ];
  if (r.trends.length) {
    parts.push('<h2>Weekly trend</h2>');
    parts.push(
      `<table><thead><tr><th>Metric</th>${r.weeks.map((w) => `<th class="num">Week of ${esc(weekLabel(w))}</th>`).join('')}</tr></thead><tbody>${r.trends
        .map(
          (t) =>
            `<tr><td>${esc(t.label)}</td>${t.values.map((v) => `<td class="num">${esc(formatValue(v, t.unit, c))}</td>`).join('')}</tr>`,
        )
        .join('')}</tbody></table>`,
    );
    for (const t of r.trends) {
      const points = t.values.flatMap((v, i) =>
        v === null ? [] : [{ label: weekLabel(r.weeks[i]!), value: v }],
      );
      parts.push(
        `<figure><figcaption>${esc(t.label)}</figcaption>${lineChart(points, { title: t.label, height: 140, format: (v) => formatValue(v, t.unit, c) })}</figure>`,
      );
    }
  }
  parts.push('<h2>Findings</h2>');
  parts.push(
    r.findings.length
      ? `<ul>${r.findings.map((f) => `<li><span class="sev ${f.severity}">${f.severity}</span> ${esc(f.title)}</li>`).join('')}</ul>`
      : '<p>No rule fired for the latest week.</p>',
  );
  parts.push('<h2>Recommendations</h2>');
  parts.push(
    r.narrative.recommendations.length
      ? `<ol>${r.narrative.recommendations.map((x) => `<li><strong>${esc(x.title)}</strong> (${x.priority}): ${esc(x.detail)}</li>`).join('')}</ol>`
      : '<p>Nothing to recommend.</p>',
  );
  parts.push(`<p class="muted">${esc(r.sourceLine)}</p>`);
  parts.push(
    `<details><summary>Metric choices used</summary><ul>${r.metricChoices.map((m) => `<li><strong>${esc(m.name)}:</strong> ${esc(m.value)}</li>`).join('')}</ul></details>`,
  );
  const css =
    'body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:960px;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left}.num{text-align:right}.headline{font-weight:600;border-left:4px solid #0969da;padding-left:.75rem}.muted{color:#656d76}.sev{font-weight:600;text-transform:uppercase;font-size:.75rem}svg text{font-size:11px;fill:#656d76}svg .axis{stroke:#d0d7de}svg .line{stroke:#0969da;stroke-width:2}svg .dot{fill:#0969da}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${css}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}

export function renderInsightsJson(r: InsightsReport): string {
  return `${JSON.stringify(insightsReportSchema.parse(r), null, 2)}\n`;
}
