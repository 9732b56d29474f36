import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coreCatalog } from './core.ts';
import { defineCatalog, extendCatalog } from './define.ts';
import { enrichmentCatalog } from './enrichment.ts';

describe('event catalogs', () => {
  it('extends the core catalog with app events and refuses collisions and bad names', () => {
    const app = extendCatalog(coreCatalog, {
      report_shared: { category: 'feature', properties: z.object({ channel: z.string() }) },
    });
    expect(app.report_shared.category).toBe('feature');
    expect(app.user_signed_up.category).toBe('lifecycle');
    expect(() =>
      extendCatalog(coreCatalog, { user_signed_up: { category: 'x', properties: z.object({}) } }),
    ).toThrow(/already defined/);
    expect(() => defineCatalog({ 'Bad-Name': { category: 'x', properties: z.object({}) } })).toThrow(
      /snake_case/,
    );
  });
  it('ships the seed product events with typed properties', () => {
    expect(
      enrichmentCatalog.enrichment_failed.properties.safeParse({
        jobId: 'j',
        source: 'csv',
        reason: 'timeout',
      }).success,
    ).toBe(true);
    expect(
      enrichmentCatalog.enrichment_failed.properties.safeParse({ jobId: 'j', source: 'csv', reason: 'nope' })
        .success,
    ).toBe(false);
  });
});

describe('client entry', () => {
  it('loads without Node-only modules', async () => {
    const client = await import('../client.ts');
    expect(typeof client.createTracker).toBe('function');
    expect(typeof client.supabaseTransport).toBe('function');
  });
});
