import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker, enrichmentCatalog, supabaseTransport } from '../src/index.ts';
import { type FakePostgrest, startFakePostgrest } from './postgrest.ts';

let db: TestDatabase;
let rest: FakePostgrest;
const alice = randomUUID();

class NoWebSocket {
  constructor() {
    throw new Error('realtime is not used in these tests');
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  rest = await startFakePostgrest(db.pool);
});
afterAll(async () => {
  await rest?.close();
  await db?.drop();
});

const supabaseAs = (claims: Record<string, unknown>) =>
  createClient(rest.url, rest.sign({ role: 'anon' }), {
    global: { headers: { Authorization: `Bearer ${rest.sign(claims)}` } },
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: NoWebSocket as never },
  });

const DAY = 86_400_000;
const event = (occurredAt: string, extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name: 'feature_used',
  category: 'feature',
  occurred_at: occurredAt,
  properties: { feature: 'x' },
  ...extra,
});

/** `{ a: { a: ... } }` with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe('track_events RPC: the ingest rules per event', () => {
  it('refuses out-of-window and too deeply nested events one by one and stores the rest', async () => {
    const supabase = supabaseAs({ sub: alice, role: 'authenticated' });
    const now = Date.now();
    const events = [
      event(new Date(now - 3_600_000).toISOString()),
      event('0050-01-01T00:00:00Z'),
      event(new Date(now + 2 * DAY).toISOString()),
      event(new Date(now - 401 * DAY).toISOString()),
      event(new Date(now - 60_000).toISOString(), { properties: nested(33) }),
      event(new Date(now - 60_000).toISOString(), { properties: nested(32) }),
    ];
    const { data, error, status } = await supabase.rpc('track_events', { p_app: 'web', p_events: events });
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toMatchObject({ received: 6, inserted: 2, duplicates: 0 });
    expect((data as { rejected: { index: number; id: string; code: string }[] }).rejected).toEqual([
      expect.objectContaining({ index: 1, id: events[1]!.id, code: 'out_of_window' }),
      expect.objectContaining({ index: 2, id: events[2]!.id, code: 'out_of_window' }),
      expect.objectContaining({ index: 3, id: events[3]!.id, code: 'out_of_window' }),
      expect.objectContaining({ index: 4, id: events[4]!.id, code: 'too_deep' }),
    ]);
    const { rows } = await db.pool.query(`select id from events where user_id = $1 order by occurred_at`, [
      alice,
    ]);
    expect(rows.map((r) => r.id)).toEqual([events[0]!.id, events[5]!.id]);
  });

  it('the Supabase transport hands the refusals to the tracker, which does not retry them', async () => {
    const supabase = supabaseAs({ sub: alice, role: 'authenticated' });
    const refused: string[] = [];
    const tracker = createTracker({
      app: 'web',
      catalog: enrichmentCatalog,
      transport: supabaseTransport({ client: supabase }),
      batchSize: 10,
      flushIntervalMs: 60_000,
      onError: (e, batch) => refused.push(`${e.code}:${batch.length}`),
    });
    tracker.track('export_created', { format: 'csv', rows: 1 }, { userId: alice });
    tracker.track(
      'export_created',
      { format: 'csv', rows: 2 },
      { userId: alice, occurredAt: new Date('2020-01-01') },
    );
    tracker.track('export_created', { format: 'csv', rows: 3 }, { userId: alice });
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ sent: 2, inserted: 2, rejected: 1, failed: 0, retries: 0 });
    expect(refused).toEqual(['invalid_event:1']);
  });
});
