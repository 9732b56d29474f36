import { z } from 'zod';
import type { LlmUsage, NarrativeResult } from '../anthropic.ts';
import { figureCatalog } from '../figures.ts';
import { narrativeSchema } from '../narrative/schema.ts';
import { changeOf } from '../rules/change.ts';
import { type Finding, type RuleOutcome, ruleIds } from '../rules/engine.ts';
import type { MetricsSnapshot } from '../snapshot.ts';

/**
 * The growth report as data: built once by `buildGrowthReport`, rendered to Markdown, HTML and
 * JSON. The JSON form is this schema, versioned by `version`; a field is only ever added in a
 * minor change, and a breaking change bumps the version.
 */
export const REPORT_VERSION = 2 as const;

export const unitSchema = z.enum(['money', 'count', 'ratio', 'number', 'seconds']);
const nullableNumber = z.number().nullable();

export const changeSchema = z.object({ absolute: z.number(), relative: z.number().nullable() });

export const figureSchema = z.object({
  key: z.string().describe('Stable identifier, e.g. revenue.mrr'),
  label: z.string(),
  unit: unitSchema,
  current: nullableNumber.describe('Value for the current period (null: no data)'),
  previous: nullableNumber.describe('Value for the previous period of the same length'),
  change: changeSchema.nullable().describe('current - previous; relative is null when previous is 0'),
  changeStyle: z
    .enum(['relative', 'points', 'absolute', 'none'])
    .describe(
      'How the change is shown: relative % (counts, money), percentage points (ratios), the difference, or not at all (a single day)',
    ),
  better: z.enum(['up', 'down']).describe('Which direction of change is good (churn: down)'),
});

export const chartSchema = z.object({
  key: z.string(),
  title: z.string(),
  kind: z.enum(['line', 'bar']),
  unit: unitSchema,
  points: z.array(z.object({ label: z.string(), value: z.number() })),
});

export const tableSchema = z.object({
  key: z.string(),
  title: z.string(),
  columns: z.array(z.object({ key: z.string(), label: z.string(), unit: unitSchema.nullable() })),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
});

export const sectionIds = ['revenue', 'users', 'engagement', 'product', 'funnel'] as const;

export const sectionSchema = z.object({
  id: z.enum(sectionIds),
  title: z.string(),
  figures: z.array(figureSchema),
  tables: z.array(tableSchema),
  charts: z.array(chartSchema),
  notes: z.array(z.string()),
});

const evidenceSchema = z.object({
  metric: z.string(),
  label: z.string(),
  unit: unitSchema,
  current: nullableNumber,
  previous: nullableNumber.optional(),
  change: changeSchema.nullable().optional(),
  threshold: z.number().optional(),
  changeThreshold: z.number().optional(),
});

export const findingSchema = z.object({
  rule: z.enum(ruleIds),
  severity: z.enum(['critical', 'warning', 'info', 'positive']),
  title: z.string(),
  evidence: z.array(evidenceSchema),
  recommendation: z.string(),
});

export const llmUsageSchema = z.object({
  model: z.string(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number().nullable(),
  requestId: z.string().nullable(),
});

const periodSchema = z.object({ start: z.iso.datetime(), end: z.iso.datetime() });

export const growthReportSchema = z.object({
  version: z.literal(REPORT_VERSION),
  kind: z.literal('growth'),
  title: z.string(),
  asOf: z.iso.datetime().describe('End of the current period (exclusive)'),
  periodDays: z.number().int().positive(),
  current: periodSchema,
  previous: periodSchema,
  currency: z.string(),
  goal: z
    .object({
      mrrGoal: z.number().int().positive().describe('Minor units of the report currency'),
      mrr: nullableNumber,
      progress: nullableNumber.describe('mrr / mrrGoal, as a fraction'),
    })
    .nullable()
    .describe('The MRR goal when one is set (MRR_GOAL), else null'),
  sections: z
    .array(sectionSchema)
    .describe('Revenue, Users, Engagement, Product, Conversion funnel, in that order'),
  insights: z.object({
    source: z.enum(['llm', 'rules']),
    sourceLine: z.string(),
    fallback: z.object({ code: z.string(), message: z.string() }).nullable(),
    usage: llmUsageSchema.nullable(),
    narrative: narrativeSchema,
    findings: z.array(findingSchema),
    skippedRules: z.array(z.object({ rule: z.enum(ruleIds), reason: z.string() })),
  }),
  recommendations: narrativeSchema.shape.recommendations,
  metricChoices: z.array(z.object({ name: z.string(), value: z.string() })),
  missing: z.array(z.string()).describe('Figures without data in either period'),
});

export type Figure = z.infer<typeof figureSchema>;
export type Chart = z.infer<typeof chartSchema>;
export type ReportTable = z.infer<typeof tableSchema>;
export type Section = z.infer<typeof sectionSchema>;
export type GrowthReport = z.infer<typeof growthReportSchema>;
export type MetricChoice = GrowthReport['metricChoices'][number];

/** The METRICS.md defaults; the collector replaces any it knows to differ. */
export const defaultMetricChoices: MetricChoice[] = [
  {
    name: 'Periods',
    value: 'half-open [start, end) in UTC; compared with the previous period of the same length',
  },
  {
    name: 'MRR',
    value: 'unit amount x quantity after recurring discounts, before tax, normalised to a month',
  },
  { name: 'Metered prices', value: 'excluded from MRR (reported as usage revenue)' },
  { name: 'Trials', value: 'MRR 0 while trialing' },
  { name: 'Cancellation', value: 'counted at the end of the final service period' },
  {
    name: 'Cash',
    value: 'collected (gross) = succeeded payments by payment date; net = minus refunds by refund date',
  },
  { name: 'Active user', value: 'at least one event outside the system category that day' },
  { name: 'Stickiness', value: 'average DAU over the last 30 days / MAU' },
  { name: 'Activation', value: 'activation event within 7 days of signup' },
  {
    name: 'As of',
    value: 'every figure as of the period end; the previous period as of its own end',
  },
  { name: 'Funnel', value: 'ordered steps, 14-day conversion window from step 1' },
];

const sectionTitles: Record<(typeof sectionIds)[number], string> = {
  revenue: 'Revenue',
  users: 'Users',
  engagement: 'Engagement',
  product: 'Product',
  funnel: 'Conversion funnel',
};

export interface BuildReportInput {
  asOf: Date;
  periodDays: number;
  current: MetricsSnapshot;
  previous: MetricsSnapshot;
  outcome: RuleOutcome;
  narrative: NarrativeResult;
  sourceLine: string;
  /** MRR goal in minor units of the report currency; none: no goal line. */
  mrrGoal?: number | undefined;
  metricChoices?: MetricChoice[];
  /** Figures a source could not provide, with the reason (e.g. "Product: feature usage (no query in @org/metrics)"). */
  unavailable?: string[];
}

const iso = (d: Date) => d.toISOString();
const day = (s: string) => s.slice(0, 10);

function movementsChart(s: MetricsSnapshot): Chart | null {
  const m = s.revenue?.movements;
  if (!m) return null;
  return {
    key: 'revenue.movements',
    title: 'MRR movements this period',
    kind: 'bar',
    unit: 'money',
    points: [
      { label: 'New', value: m.new },
      { label: 'Reactivation', value: m.reactivation },
      { label: 'Expansion', value: m.expansion },
      { label: 'Contraction', value: -m.contraction },
      { label: 'Churn', value: -m.churn },
    ],
  };
}

/** Assembles the report from two snapshots, the rule outcome and the narrative. Pure. */
export function buildGrowthReport(input: BuildReportInput): GrowthReport {
  const { current, previous } = input;
  const missing: string[] = [];
  const sections: Section[] = sectionIds.map((id) => {
    const title = sectionTitles[id];
    const figures: Figure[] = [];
    for (const f of figureCatalog) {
      if (f.section !== id) continue;
      const c = f.read(current);
      const p = f.read(previous);
      if (c === undefined && p === undefined) {
        missing.push(`${title}: ${f.label}`);
        continue;
      }
      figures.push({
        key: f.key,
        label: f.label,
        unit: f.unit,
        current: c ?? null,
        previous: p ?? null,
        change: changeOf(c, p),
        changeStyle: f.change,
        better: f.better,
      });
    }
    return { id, title, figures, tables: [], charts: [], notes: [] };
  });
  const section = (id: Section['id']) => sections.find((s) => s.id === id)!;

  if (current.revenue?.mrrSeries?.length) {
    section('revenue').charts.push({
      key: 'revenue.mrrSeries',
      title: 'MRR by day',
      kind: 'line',
      unit: 'money',
      points: current.revenue.mrrSeries.map((p) => ({ label: p.date, value: p.value })),
    });
  }
  const movements = movementsChart(current);
  if (movements) section('revenue').charts.push(movements);
  if (current.engagement?.dauSeries?.length) {
    section('engagement').charts.push({
      key: 'engagement.dauSeries',
      title: 'Daily active users',
      kind: 'line',
      unit: 'count',
      points: current.engagement.dauSeries.map((p) => ({ label: p.date, value: p.value })),
    });
  }

  const features = current.product?.features;
  if (features?.length) {
    const before = new Map((previous.product?.features ?? []).map((f) => [f.feature, f]));
    section('product').tables.push({
      key: 'product.features',
      title: 'Feature usage',
      columns: [
        { key: 'feature', label: 'Feature', unit: null },
        { key: 'users', label: 'Users', unit: 'count' },
        { key: 'events', label: 'Events', unit: 'count' },
        { key: 'previousEvents', label: 'Events (previous)', unit: 'count' },
      ],
      rows: features.map((f) => ({
        feature: f.feature,
        users: f.users,
        events: f.events,
        previousEvents: before.get(f.feature)?.events ?? null,
      })),
    });
    section('product').charts.push({
      key: 'product.features',
      title: 'Feature usage (users)',
      kind: 'bar',
      unit: 'count',
      points: features.map((f) => ({ label: f.feature, value: f.users })),
    });
  } else {
    missing.push('Product: feature usage');
  }

  const steps = current.funnel?.steps;
  if (steps?.length) {
    const first = steps[0]!.users;
    section('funnel').tables.push({
      key: 'funnel.steps',
      title: `Funnel${current.funnel?.windowDays ? ` (${current.funnel.windowDays}-day window)` : ''}`,
      columns: [
        { key: 'step', label: 'Step', unit: null },
        { key: 'users', label: 'Users', unit: 'count' },
        { key: 'fromPrevious', label: 'From previous step', unit: 'ratio' },
        { key: 'fromStart', label: 'From step 1', unit: 'ratio' },
        { key: 'medianTime', label: 'Median time from previous', unit: 'seconds' },
      ],
      rows: steps.map((s, i) => ({
        step: `${i + 1}. ${s.name}`,
        users: s.users,
        fromPrevious: i === 0 ? null : (s.conversionFromPrevious ?? null),
        fromStart: first === 0 ? null : s.users / first,
        medianTime: s.medianSecondsFromPrevious ?? null,
      })),
    });
    section('funnel').charts.push({
      key: 'funnel.steps',
      title: 'Users per funnel step',
      kind: 'bar',
      unit: 'count',
      points: steps.map((s) => ({ label: s.name, value: s.users })),
    });
  } else {
    missing.push('Conversion funnel: steps');
  }

  for (const s of sections)
    if (s.figures.length === 0 && s.tables.length === 0)
      s.notes.push('No data for this section in either period.');

  const mrr = current.revenue?.mrr ?? null;
  const usage: LlmUsage | null = input.narrative.usage ?? null;
  return {
    version: REPORT_VERSION,
    kind: 'growth',
    // Ends are exclusive here as everywhere else (the dashboard, the CLI flags).
    title: `Growth report ${day(current.period.start)} to ${day(current.period.end)} (exclusive, ${input.periodDays} days)`,
    asOf: iso(input.asOf),
    periodDays: input.periodDays,
    current: current.period,
    previous: previous.period,
    currency: current.currency,
    goal:
      input.mrrGoal === undefined || input.mrrGoal <= 0
        ? null
        : { mrrGoal: input.mrrGoal, mrr, progress: mrr === null ? null : mrr / input.mrrGoal },
    sections,
    insights: {
      source: input.narrative.source,
      sourceLine: input.sourceLine,
      fallback: input.narrative.source === 'rules' ? input.narrative.fallback : null,
      usage,
      narrative: input.narrative.narrative,
      findings: input.outcome.findings.map(normaliseFinding),
      skippedRules: input.outcome.skipped,
    },
    recommendations: input.narrative.narrative.recommendations,
    metricChoices: input.metricChoices ?? defaultMetricChoices,
    missing: [...missing, ...(input.unavailable ?? [])],
  };
}

function normaliseFinding(f: Finding): z.infer<typeof findingSchema> {
  return {
    ...f,
    evidence: f.evidence.map((e) => ({
      metric: e.metric,
      label: e.label,
      unit: e.unit,
      current: e.current,
      ...(e.previous !== undefined ? { previous: e.previous } : {}),
      ...(e.change !== undefined ? { change: e.change } : {}),
      ...(e.threshold !== undefined ? { threshold: e.threshold } : {}),
      ...(e.changeThreshold !== undefined ? { changeThreshold: e.changeThreshold } : {}),
    })),
  };
}

/** The report as stable JSON: validated against the schema, two-space indented, newline-terminated. */
export function renderJson(report: GrowthReport): string {
  return `${JSON.stringify(growthReportSchema.parse(report), null, 2)}\n`;
}

/** The JSON Schema of the report's JSON form, for consumers in other languages. */
export function growthReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(growthReportSchema) as Record<string, unknown>;
}
