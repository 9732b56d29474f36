export { formatChange, formatMoney, formatPercent, formatValue, type Unit } from './format.ts';
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
