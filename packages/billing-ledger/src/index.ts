// The public API of @org/billing-ledger: one export statement per module, in module-path order
// (Biome keeps imports and exports sorted), so each part of the package is one commented block.

// Revenue audit of a month: Stripe against the ledger (collect, compare, render).
export { type AuditReport, collectLedger, collectStripe, runRevenueAudit } from './audit/collect.ts';
export {
  type AuditKind,
  type AuditRecord,
  compareRecords,
  exitCodeOf,
  type Finding,
  type FindingType,
  monthRange,
  type Severity,
  type Verdict,
  verdictOf,
} from './audit/compare.ts';
export { renderAudit } from './audit/render.ts';

// Stripe backfill, recovery of missed webhooks, and the scheduled billing jobs.
export { type RecoveryResult, recoverMissedEvents } from './backfill/recover-events.ts';
export {
  BILLING_JOB_POLICY,
  type BillingJob,
  type BillingJobDeps,
  type BillingSchedules,
  billingJobs,
  defaultBillingSchedules,
  recordAuditRun,
  runBillingJob,
  scheduleBillingJobs,
  startBillingJobWorkers,
} from './backfill/scheduled-jobs.ts';
export {
  type BackfillError,
  type BackfillOptions,
  type BackfillResource,
  type BackfillSummary,
  backfillResources,
  backfillStripe,
  type ResourceSummary,
} from './backfill/stripe-backfill.ts';

// Errors: one error type, `LedgerError`, with a closed set of codes; expected failures are
// `Result` values.
export {
  isLedgerError,
  LedgerError,
  type LedgerErrorCode,
  ledgerError,
  ledgerErrorCodes,
  type Result,
  type WalletError,
  type WalletErrorCode,
} from './errors.ts';

// Stripe webhook intake over HTTP: signature, body limit, inbox write, code -> status table.
export {
  createStripeWebhookHandler,
  errorResponse,
  type Health,
  type HealthOptions,
  healthCheck,
  httpStatusFor,
  MAX_WEBHOOK_BODY_BYTES,
  type StripeWebhookOptions,
  stripeInboxBacklog,
} from './http/stripe-webhook.ts';

// Processing the inbox: the processor, the event handler registry, the worker.
export {
  type BatchJob,
  type BatchOptions,
  type EventJob,
  inboxEnvelope,
  type ObjectFetcher,
  type ProcessEventOptions,
  type ProcessOutcome,
  processBatch,
  processEvent,
  recordFailure,
} from './processing/processor.ts';
export { stripeObjectFetcher } from './processing/refetch.ts';
export {
  builtInEventTypes,
  createEventRegistry,
  defaultEventRegistry,
  type EventContext,
  type EventHandler,
  type EventRegistry,
  mirrorObject,
} from './processing/registry.ts';
export { startWorker, type Worker, type WorkerOptions, waitForDrain } from './processing/worker.ts';

// Pure calculations (no I/O, no clock): report choices, FX, money, MRR and its movements,
// event ordering, ratios.
export * from './pure/choices.ts';
export * from './pure/fx.ts';
export * from './pure/money.ts';
export * from './pure/movements.ts';
export * from './pure/mrr.ts';
export * from './pure/ordering.ts';
export * from './pure/ratios.ts';

// The job queue (pg-boss) that processing and the billing and wallet jobs share, through
// pg-boss's public API only; its schema ships as a migration (queueSchemaSql).
export {
  activeJobCount,
  type ClaimedJob,
  completeJobs,
  DEFAULT_EXPIRE_CHECK_SECONDS,
  DEFAULT_QUEUE_SCHEMA,
  defaultRetryPolicy,
  executor,
  failJob,
  fetchJobs,
  type LedgerQueue,
  type QueueOptions,
  queueOptions,
  type ReleasedJob,
  type RetryPolicy,
  releaseJobs,
  STRIPE_EVENTS_QUEUE,
  sendInTransaction,
  startQueue,
} from './queue.ts';
export { ledgerQueues, pgBossVersion, QUEUE_SCHEMA_MIGRATION, queueSchemaSql } from './queue-schema.ts';

// The ledger's tables: applying Stripe objects, FX rates, the inbox, revenue queries, job runs.
export {
  type ApplyInput,
  type ApplyOptions,
  type ApplyOutcome,
  type ApplyResult,
  applyStripeObject,
  applyStripeObjects,
  type Queryable,
  recomputeSubscriptionMrr,
  recomputeSubscriptionsMrr,
} from './store/apply.ts';
export { type DatabaseErrorKind, databaseErrorKind } from './store/db-errors.ts';
export { listFxRates, loadFxRates, type StoredFxRate, upsertFxRates } from './store/fx.ts';
export {
  eventScope,
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
  type CurrencyBreakdown,
  cashBetween,
  type MovementsPoint,
  type MrrPoint,
  movementsBetween,
  movementsSeries,
  mrrAt,
  mrrSeries,
  type PaymentRow,
  type RangeQuery,
  type RefundRow,
  type RevenueSummary,
  recentPayments,
  recentRefunds,
  revenueSummary,
  type SeriesInterval,
  type TopCustomer,
  topCustomers,
} from './store/revenue.ts';
export { tryRevenueSummary } from './store/revenue-result.ts';
export {
  type AuditRun,
  listAuditRuns,
  listReconciliationRuns,
  type ReconciliationRunSummary,
} from './store/runs.ts';

// Stripe payloads: what jsonb can store, parsing, and the schemas of the fields the ledger reads.
export { MAX_EVENT_DEPTH, storableContent } from './stripe/content.ts';
export {
  discountSnapshot,
  isMirrored,
  type ParsedObject,
  parseEvent,
  parseStripeObject,
  subscriptionSnapshot,
} from './stripe/parse.ts';
export * from './stripe/schemas.ts';

// The Stripe API adapter: rate limit, retries on 429 and 5xx, pagination.
export {
  createRateLimiter,
  createStripeApi,
  createStripeClient,
  defaultRateFor,
  listPages,
  type Page,
  type RateLimiter,
  type StripeApi,
  type StripeApiOptions,
  type StripeCallError,
} from './stripe-api/client.ts';

// Usage reconciliation: the daily job, its Slack alert, the provider port.
export {
  dayRange,
  type ReconcileOptions,
  type ReconciliationRun,
  reconcileUsage,
  recordUsage,
  type UsageDeduction,
} from './usage/reconcile.ts';
export { type Notifier, slackNotifier } from './usage/slack.ts';
export { httpUsageSource, type UsagePage, type UsageRecordInput, type UsageSource } from './usage/source.ts';

// Prepaid credit wallets: checkout without duplicates, the recharge worker, the single-threaded
// model, auto-recharge, the journal and deductions, Stripe top-ups.
export {
  type CheckoutError,
  type CheckoutOptions,
  type CheckoutRequest,
  type CheckoutSession,
  createCheckoutSession,
} from './wallets/checkout.ts';
export { type RechargeWorker, startRechargeWorker, WALLET_RECHARGE_POLICY } from './wallets/jobs.ts';
export { latestWalletTransactions } from './wallets/latest-transactions.ts';
export {
  type JournalRow,
  type ModelState,
  modelCredit,
  modelDeduct,
  newModel,
  type RejectionRow,
  replayJournal,
  withinDebtLimit,
} from './wallets/model.ts';
export {
  claimRecharge,
  creditRecharge,
  deductAndRecharge,
  type RechargeClaim,
  type RechargeError,
  type RechargeOutcome,
  type RechargeSender,
  requestRecharge,
  runRecharge,
  WALLET_RECHARGE_QUEUE,
  walletMetadata,
} from './wallets/recharge.ts';
export {
  type CreditInput,
  checkWalletIntegrity,
  configureWallet,
  credit,
  DEDUCT_MANY_CHUNK,
  type DeductInput,
  type DeductionError,
  deduct,
  deductMany,
  findWallet,
  getWallet,
  listWallets,
  listWalletTransactions,
  type OpenWalletInput,
  openWallet,
  type Wallet,
  type WalletIntegrity,
  type WalletMovement,
  type WalletOverview,
  type WalletTransaction,
} from './wallets/store.ts';
export {
  applyWalletPayment,
  registerWalletHandlers,
  walletEventTypes,
  walletTopUpHandler,
} from './wallets/top-ups.ts';
