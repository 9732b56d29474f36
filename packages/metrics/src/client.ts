/**
 * The browser / edge entry (`@org/metrics/client`): catalogs, the tracker and the Supabase and HTTP
 * transports, without the Node-only parts (Postgres store, ingest handler, KPI queries).
 */
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
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  type ParsedWireEvent,
  type WireEvent,
  wireEvent,
} from './event.ts';
export type { RejectedEvent, RejectionCode } from './ingest/screen.ts';
export {
  createTracker,
  type TrackContext,
  type Tracker,
  type TrackerOptions,
  type TrackerStats,
} from './tracker/tracker.ts';
export type { SendResult, Transport } from './tracker/transport.ts';
export { httpTransport, splitForIngest } from './transports/http.ts';
export { type SupabaseRpcClient, supabaseTransport } from './transports/supabase.ts';
