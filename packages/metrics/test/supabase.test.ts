import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker, enrichmentCatalog, insertEvents, supabaseTransport } from '../src/index.ts';
import { type FakePostgrest, startFakePostgrest } from './postgrest.ts';
import { ev } from './support.ts';

let db: TestDatabase;
let rest: FakePostgrest;
const alice = randomUUID();
const bob = randomUUID();
const at = () => new Date(Date.now() - 3_600_000).toISOString();

class NoWebSocket {
  constructor() {
    throw new Error('realtime is not used in these tests');
  }
}

const clientFor = (claims: Record<string, unknown>) => {
  const jwt = rest.sign(claims);
  const anonKey = rest.sign({ role: 'anon' });
  return createClient(rest.url, anonKey, {
    global: { headers: { Authorization: `Bearer ${jwt}` } },
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no global WebSocket; realtime is never used here, so any constructor will do.
    realtime: { transport: NoWebSocket as never },
  });
};
const countFor = async (user: string | null, app = 'web') =>
  (
    await db.pool.query(
      `select count(*)::int as n from events where app = $1 and user_id is not distinct from $2`,
      [app, user],
    )
  ).rows[0].n as number;

beforeAll(async () => {
  db = await createTestDatabase();
  rest = await startFakePostgrest(db.pool);
  await insertEvents(db.pool, 'web', [
    ev(bob, 'feature_used', at(), 'feature'),
    ev(alice, 'feature_used', at(), 'feature'),
  ]);
});
afterAll(async () => {
  await rest.close();
  await db.drop();
});

const event = (extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name: 'feature_used',
  category: 'feature',
  occurred_at: at(),
  properties: { feature: 'x' },
  ...extra,
});

describe('Supabase transport and the track_events RPC', () => {
  it('tracks through supabase-js and pins user_id to auth.uid()', async () => {
    const supabase = clientFor({ sub: alice, role: 'authenticated' });
    const tracker = createTracker({
      app: 'web',
      catalog: enrichmentCatalog,
      transport: supabaseTransport({ client: supabase }),
      batchSize: 50,
    });
    for (let i = 0; i < 7; i++)
      tracker.track('export_created', { format: 'csv', rows: i }, { userId: alice });
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ sent: 7, inserted: 7, failed: 0 });
    const { data, error } = await supabase.rpc('track_events', { p_app: 'web', p_events: [event()] });
    expect(error).toBeNull();
    expect(data).toEqual({ received: 1, inserted: 1, duplicates: 0, rejected: [] });
    expect(await countFor(alice)).toBe(1 + 7 + 1);
  });

  it('refuses events for another user and inserts nothing from that batch', async () => {
    const supabase = clientFor({ sub: alice, role: 'authenticated' });
    const before = await countFor(bob);
    const { error, status } = await supabase.rpc('track_events', {
      p_app: 'web',
      p_events: [event(), event({ user_id: bob })],
    });
    expect(status).toBe(403);
    expect(error).toMatchObject({
      code: '42501',
      message: expect.stringContaining("event 2: user_id must be the caller's own id"),
    });
    expect(await countFor(bob)).toBe(before);

    const failures: string[] = [];
    const tracker = createTracker({
      app: 'web',
      catalog: enrichmentCatalog,
      transport: supabaseTransport({ client: supabase }),
      onError: (e) => failures.push(e.code),
    });
    tracker.track('heartbeat', {}, { userId: bob });
    await tracker.shutdown();
    expect(failures).toEqual(['forbidden']);
    expect(tracker.stats().retries).toBe(0);
  });

  it('rejects malformed batches with a clear error and stores nothing from them', async () => {
    const supabase = clientFor({ sub: alice, role: 'authenticated' });
    const before = await countFor(alice);
    const cases: [unknown, RegExp][] = [
      [[event(), { ...event(), name: 'Bad Name' }], /event 2: name must match/],
      [[event({ occurred_at: 'yesterday' })], /occurred_at must be an ISO 8601 timestamp/],
      [[event({ id: 'not-a-uuid' })], /id must be a UUID/],
      [[event({ extra: 1 })], /unknown field "extra"/],
      [[event({ properties: [1] })], /properties must be an object/],
      [{ not: 'an array' }, /must be a JSON array/],
      [[], /1 to 500 events/],
      [Array.from({ length: 501 }, () => event()), /got 501/],
    ];
    for (const [events, message] of cases) {
      const { error, status } = await supabase.rpc('track_events', { p_app: 'web', p_events: events });
      expect(status).toBe(400);
      expect(error?.code).toBe('22023');
      expect(error?.message).toMatch(message);
    }
    expect(await countFor(alice)).toBe(before);
  });

  it('lets anon callers track only anonymously', async () => {
    const supabase = clientFor({ role: 'anon' });
    const ok = await supabase.rpc('track_events', {
      p_app: 'web',
      p_events: [event({ anonymous_id: 'visitor-1' })],
    });
    expect(ok.error).toBeNull();
    const denied = await supabase.rpc('track_events', {
      p_app: 'web',
      p_events: [event({ user_id: alice })],
    });
    expect(denied.status).toBe(401);
    const { rows } = await db.pool.query(`select user_id from events where anonymous_id = 'visitor-1'`);
    expect(rows).toEqual([{ user_id: null }]);
  });
});

describe('RLS probes', () => {
  const probe = async (role: string, claims: Record<string, unknown>, sql: string) => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(`set local role ${role}`);
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      return await client.query(sql);
    } finally {
      await client.query('rollback');
      client.release();
    }
  };

  it('anon reads 0 rows of every metrics table, partitions included', async () => {
    const { rows: tables } = await db.pool.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') and (c.relname like 'events%' or c.relname like 'metrics\\_%' or c.relname like 'usage\\_%')`,
    );
    expect(tables.length).toBeGreaterThan(40);
    for (const { name } of tables) {
      const rls = await db.pool.query(`select relrowsecurity from pg_class where relname = $1`, [name]);
      expect(rls.rows[0].relrowsecurity, name).toBe(true);
      const count = await probe(
        'anon',
        { role: 'anon' },
        `select count(*)::int as n from public."${name}"`,
      ).then(
        (r) => r.rows[0].n as number,
        () => 0, // permission denied: nothing readable either
      );
      expect(count, name).toBe(0);
    }
  });

  it('an authenticated user cannot read events (not even their own) or insert them directly', async () => {
    const claims = { sub: alice, role: 'authenticated' };
    expect((await probe('authenticated', claims, 'select count(*)::int as n from events')).rows[0].n).toBe(0);
    expect(
      (await probe('authenticated', claims, 'select count(*)::int as n from metrics_user_activity_daily'))
        .rows[0].n,
    ).toBe(0);
    await expect(
      probe(
        'authenticated',
        claims,
        `insert into events (id, app, user_id, category, name, occurred_at) values (gen_random_uuid(), 'web', '${bob}', 'feature', 'x', now())`,
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('an admin reads events', async () => {
    const admin = { sub: randomUUID(), role: 'authenticated', app_metadata: { role: 'admin' } };
    const n = (await probe('authenticated', admin, 'select count(*)::int as n from events')).rows[0].n;
    expect(n).toBeGreaterThan(0);
  });
});
