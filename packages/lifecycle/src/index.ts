export { defaultWeights, type EngagementInput, engagementScore, type ScoreWeights } from './calc/score.ts';
export {
  classifyStage,
  defaultThresholds,
  type Stage,
  type StageInput,
  type StageThresholds,
  stages,
} from './calc/stage.ts';
export { LifecycleError, type LifecycleErrorCode } from './errors.ts';
export { type DeliverOptions, type DeliverResult, deliverOutbox, outboxStatus } from './outbox.ts';
export { type KitOptions, kitProvider } from './providers/kit.ts';
export { type LoopsOptions, loopsProvider } from './providers/loops.ts';
export type { DeliveryResult, EmailProvider, OutboxMessage } from './providers/provider.ts';
export {
  type LifecycleConfig,
  type PlannedTransition,
  type RunLifecycleOptions,
  type RunLifecycleResult,
  runLifecycle,
  transitionKey,
} from './run.ts';
export {
  type Interval,
  type Level,
  type LifecyclePoint,
  lifecycleSeries,
  recentTransitions,
  stageDistribution,
  type Transition,
} from './store/series.ts';
export { loadSubjectMetrics, type SubjectMetrics, type SubjectQuery } from './store/subjects.ts';
