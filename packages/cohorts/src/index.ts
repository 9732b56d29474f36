export { addPeriods, periodIndex, periodStart, periodsReached } from './calc/periods.ts';
export {
  buildRetentionMatrix,
  buildRevenueCohorts,
  type CohortCount,
  type Granularity,
  type RetentionCell,
  type RetentionCohort,
  type RetentionMatrix,
  type RetentionMode,
  type RevenueCohort,
  type RevenueCohortRow,
  type RevenueRetentionCell,
  weightedRetentionSummary,
} from './calc/retention.ts';
export { CohortsError, type CohortsErrorCode } from './errors.ts';
export { type RefreshOptions, type RefreshResult, refreshCohorts, storedUserRetention } from './refresh.ts';
export {
  type CohortChurn,
  churnByCohort,
  type RevenueRetentionOptions,
  revenueRetention,
  revenueRetentionRows,
} from './store/revenue.ts';
export { recentCohortRange, type UserRetentionOptions, userRetention } from './store/user-retention.ts';
