export {
  DEFAULT_MODEL,
  type LlmUsage,
  type NarrativeOptions,
  type NarrativeResult,
  narrativeSourceLine,
  parseNarrativeText,
  usageLine,
  writeNarrative,
} from './anthropic.ts';
export { InsightsError, type InsightsErrorCode, type InsightsFailure, type Result } from './errors.ts';
export { formatChange, formatMoney, formatPercent, formatValue, type Unit } from './format.ts';
export { narrativeFromRules } from './narrative/fallback.ts';
export { defaultPricing, estimateCostUsd, type ModelPrice } from './narrative/pricing.ts';
export {
  buildNarrativePrompt,
  type NarrativeInput,
  type NarrativePrompt,
  SYSTEM_PROMPT,
  scrub,
} from './narrative/prompt.ts';
export { type Narrative, narrativeJsonSchema, narrativeSchema } from './narrative/schema.ts';
export { fixtureCurrent, fixturePrevious } from './report/fixture.ts';
export { renderHtml } from './report/html.ts';
export { renderMarkdown } from './report/markdown.ts';
export {
  type BuildReportInput,
  buildGrowthReport,
  type Chart,
  defaultMetricChoices,
  type Figure,
  type GrowthReport,
  growthReportJsonSchema,
  growthReportSchema,
  type MetricChoice,
  REPORT_VERSION,
  type ReportTable,
  renderJson,
  type Section,
} from './report/model.ts';
export { barChart, lineChart, progressBar } from './report/svg.ts';
export { type Change, changeOf } from './rules/change.ts';
export {
  type Evidence,
  evaluateRules,
  type Finding,
  type RuleId,
  type RuleOutcome,
  ruleIds,
  type Severity,
} from './rules/engine.ts';
export {
  defaultThresholds,
  parseThresholds,
  type Thresholds,
  type ThresholdsInput,
  thresholdsSchema,
} from './rules/thresholds.ts';
export {
  type EngagementFigures,
  type FeatureUsage,
  type FunnelFigures,
  type FunnelStep,
  type LedgerHealth,
  type MetricsSnapshot,
  type MrrMovements,
  metricsSnapshotSchema,
  type Period,
  type ProductFigures,
  periodsEndingAt,
  type RevenueFigures,
  type SeriesPoint,
  type UserFigures,
} from './snapshot.ts';
