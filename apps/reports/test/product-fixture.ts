import { randomUUID } from 'node:crypto';
import type { Pool } from '@org/db';
import { insertEvents, type ParsedWireEvent } from '@org/metrics';

const ev = (
  userId: string,
  name: string,
  at: string,
  category = 'feature',
  accountId: string | null = null,
): ParsedWireEvent => ({
  id: randomUUID(),
  name,
  category,
  userId,
  accountId,
  properties: {},
  occurredAt: new Date(at).toISOString(),
});

/** A small product-usage dataset for the cohorts / lifecycle / kpis CLI tests (app `demo`). */
export async function loadProductFixture(pool: Pool): Promise<void> {
  await insertEvents(pool, 'demo', [
    ev('a', 'user_signed_up', '2026-03-02T09:00:00Z', 'lifecycle', 'acct1'),
    ev('a', 'enrichment_started', '2026-03-02T10:00:00Z', 'feature', 'acct1'),
    ev('a', 'enrichment_completed', '2026-03-02T10:05:00Z', 'feature', 'acct1'),
    ev('a', 'export_created', '2026-03-10T09:00:00Z', 'feature', 'acct1'),
    ev('b', 'user_signed_up', '2026-03-04T09:00:00Z', 'lifecycle', 'acct2'),
    ev('b', 'enrichment_started', '2026-03-05T09:00:00Z', 'feature', 'acct2'),
    ev('b', 'enrichment_failed', '2026-03-05T09:01:00Z', 'feature', 'acct2'),
    ev('c', 'user_signed_up', '2026-03-10T09:00:00Z', 'lifecycle', 'acct3'),
    ev('c', 'enrichment_started', '2026-03-12T09:00:00Z', 'feature', 'acct3'),
  ]);
}
