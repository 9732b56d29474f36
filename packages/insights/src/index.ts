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
export {
  type CollectOptions,
  type CollectResult,
  type CollectSection,
  collectedMetricChoices,
  collectSections,
  collectSnapshot,
  defaultActivation,
  defaultFunnel,
  defaultFunnelSteps,
  defaultFunnelWindowDays,
  notYetQueryable,
} from './collect/collect.ts';
export { InsightsError, type InsightsErrorCode, type InsightsFailure, type Result } from './errors.ts';
export {
  type ChangeStyle,
  type FigureChange,
  type FigureDefinition,
  type FigureKey,
  type FigureSection,
  figure,
  figureCatalog,
  figureCatalogMarkdown,
  figureChange,
  formatChange,
  formatFigure,
} from './figures.ts';
export { formatDuration, formatMoney, formatPercent, formatValue, type Unit } from './format.ts';
export {
  type GenerateOptions,
  generateGrowthReport,
  generateInsightsReport,
  mrrGoalMinor,
  type ReportFormat,
  renderGrowthReport,
  renderInsightsReport,
} from './generate.ts';
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
export { renderHtml } from './report/html.ts';
export {
  buildInsightsReport,
  type InsightsReport,
  insightsReportSchema,
  renderInsightsHtml,
  renderInsightsJson,
  renderInsightsMarkdown,
} from './report/insights.ts';
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
export {
  findGrowthReport,
  latestGrowthReports,
  type ReportOrigin,
  type StoredGrowthReport,
  type StoredReportSummary,
  storeGrowthReport,
} from './report/store.ts';
export { barChart, lineChart, progressBar } from './report/svg.ts';
export { type Change, changeOf } from './rules/change.ts';
export {
  type EvaluateOptions,
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
