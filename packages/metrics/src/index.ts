export { addDays, asOfDay, daysOf, ratio, utcDay } from './calc/time.ts';
export { type CoreCatalog, coreCatalog } from './catalog/core.ts';
export {
  type Catalog,
  defineCatalog,
  type EventDefinition,
  type EventName,
  type EventProperties,
  extendCatalog,
} from './catalog/define.ts';
export { type EnrichmentCatalog, enrichmentCatalog, enrichmentCoreAction } from './catalog/enrichment.ts';
export { isMetricsError, MetricsError, type MetricsErrorCode, type Result } from './errors.ts';
export {
  appName,
  ingestBody,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  type ParsedWireEvent,
  type RequestMetadata,
  type WireEvent,
  wireEvent,
} from './event.ts';
export {
  createIngestHandler,
  type IngestHandler,
  type IngestHandlerOptions,
  type IngestResponse,
} from './ingest/handler.ts';
export {
  DEFAULT_INGEST_WINDOW,
  type IngestWindow,
  MAX_PROPERTIES_DEPTH,
  type RejectedEvent,
  type RejectionCode,
  type ScreenOptions,
  screenEvent,
  screenEvents,
} from './ingest/screen.ts';
export { type StoreBatchOptions, type StoreOutcome, storeBatch } from './ingest/store-batch.ts';
export {
  type ActivationOptions,
  type ActivationRate,
  type ActiveUsers,
  type AsOf,
  activationRate,
  activeUsers,
  activeUsersSeries,
  coreActionSuccessRate,
  type FeatureUsage,
  type FunnelOptions,
  type FunnelStep,
  featureUsage,
  funnel,
  type Period,
  type Stickiness,
  type SuccessRate,
  stickiness,
  type TopUser,
  topUsers,
  type UserCounts,
  userCounts,
} from './kpis/queries.ts';
export { anonymizeIp, type RequestMetadataOptions, requestMetadata } from './request-meta.ts';
export { type ApiKeyInfo, listApiKeys } from './store/api-key-list.ts';
export {
  createApiKey,
  DEFAULT_KEY_CACHE_MS,
  findApiKeyApp,
  forgetApiKey,
  hashApiKey,
  revokeApiKey,
} from './store/api-keys.ts';
export { enqueueEvents, type InsertEventsResult, insertEvents } from './store/events.ts';
export {
  createEventInboxDrainer,
  DRAIN_MAX_ROWS,
  drainEventInbox,
  type EventInboxDrainer,
  type EventInboxHealth,
  eventInboxHealth,
} from './store/inbox.ts';
export {
  createPartitionKeeper,
  type MaintainPartitionsOptions,
  type MaintainPartitionsResult,
  maintainEventPartitions,
  type PartitionKeeperOptions,
} from './store/partitions.ts';
export { classifyDbError, type DbFailure } from './store/pg-errors.ts';
export type { Queryable, WriteLimits } from './store/tx.ts';
export { incrementUsage, type UsageIncrement, usageTotals } from './store/usage.ts';
export {
  createTracker,
  type TrackContext,
  type Tracker,
  type TrackerOptions,
  type TrackerStats,
} from './tracker/tracker.ts';
export type { SendResult, Transport } from './tracker/transport.ts';
export { httpTransport, splitForIngest } from './transports/http.ts';
export { type PostgresTransportOptions, postgresTransport } from './transports/postgres.ts';
export { type SupabaseRpcClient, supabaseTransport } from './transports/supabase.ts';
