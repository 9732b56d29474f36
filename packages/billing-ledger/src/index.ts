export { isLedgerError, LedgerError, type LedgerErrorCode, type Result } from './errors.ts';
export * from './pure/money.ts';
export * from './pure/mrr.ts';
export * from './pure/movements.ts';
export * from './pure/ordering.ts';
export * from './pure/ratios.ts';
export * from './stripe/schemas.ts';
export { discountSnapshot, isMirrored, type ParsedObject, parseEvent, parseStripeObject, subscriptionSnapshot } from './stripe/parse.ts';
export { type ApplyOptions, type ApplyOutcome, type ApplyResult, applyStripeObject, type Queryable, recomputeSubscriptionMrr } from './store/apply.ts';
export {
  getEvent,
  type InboxEvent,
  type InboxEventWithPayload,
  type InboxStats,
  type InboxStatus,
  inboxStats,
  inboxStatuses,
  insertEvent,
  type ListEventsOptions,
  listEvents,
  receiveEvent,
  replayDead,
  replayEvent,
} from './store/inbox.ts';
export {
  DEFAULT_QUEUE_SCHEMA,
  defaultRetryPolicy,
  executor,
  type LedgerQueue,
  type QueueOptions,
  type RetryPolicy,
  STRIPE_EVENTS_QUEUE,
  sendInTransaction,
  startQueue,
} from './queue.ts';
export {
  builtInEventTypes,
  createEventRegistry,
  defaultEventRegistry,
  type EventContext,
  type EventHandler,
  type EventRegistry,
  mirrorObject,
} from './processing/registry.ts';
export { type ObjectFetcher, type ProcessOutcome, processEvent, recordFailure } from './processing/processor.ts';
export { startWorker, waitForDrain, type Worker, type WorkerOptions } from './processing/worker.ts';
