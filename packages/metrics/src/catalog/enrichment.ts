import { z } from 'zod';
import { coreCatalog } from './core.ts';
import { extendCatalog } from './define.ts';

const source = z.enum(['csv', 'api', 'crm', 'webhook']);

/**
 * Example catalog of the seed product, a data-enrichment SaaS (used by the demo). Its core action
 * is an enrichment job: started -> completed | failed; results leave through exports.
 */
export const enrichmentCatalog = extendCatalog(coreCatalog, {
  enrichment_started: {
    category: 'feature',
    properties: z.object({ jobId: z.string(), source, records: z.number().int().positive() }),
  },
  enrichment_completed: {
    category: 'feature',
    properties: z.object({
      jobId: z.string(),
      source,
      records: z.number().int().nonnegative(),
      matched: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
    }),
  },
  enrichment_failed: {
    category: 'feature',
    properties: z.object({
      jobId: z.string(),
      source,
      reason: z.enum(['timeout', 'invalid_input', 'provider_error', 'quota_exceeded']),
    }),
  },
  export_created: {
    category: 'feature',
    properties: z.object({
      format: z.enum(['csv', 'xlsx', 'json', 'crm_sync']),
      rows: z.number().int().nonnegative(),
    }),
  },
  integration_connected: {
    category: 'feature',
    properties: z.object({ provider: z.enum(['hubspot', 'salesforce', 'pipedrive', 'zapier']) }),
  },
  list_uploaded: { category: 'feature', properties: z.object({ rows: z.number().int().positive() }) },
});

export type EnrichmentCatalog = typeof enrichmentCatalog;

/** The seed product's core action (for success rates) and activation event. */
export const enrichmentCoreAction = {
  completed: 'enrichment_completed',
  failed: 'enrichment_failed',
  activation: 'enrichment_completed',
} as const;
