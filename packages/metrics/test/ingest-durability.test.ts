import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  createEventInboxDrainer,
  createIngestHandler,
  drainEventInbox,
  enqueueEvents,
  incrementUsage,
  insertEvents,
} from '../src/index.ts';
import { postEvents, serveHandler, wire } from './http.ts';
import { ev } from './support.ts';

// The settings each write ran under, recorded by a statement trigger on the table it wrote (set
// local lasts until the commit, so this is what the commit used).
const PROBE = `
  create table public.durability_probe (tbl text, sync text, lock_timeout text, statement_timeout text);
  create function public.durability_probe() returns trigger language plpgsql set search_path = '' as $$
  begin
    insert into public.durability_probe values (tg_table_name, current_setting('synchronous_commit'),
      current_setting('lock_timeout'), current_setting('statement_timeout'));
    return null;
  end $$;
  create trigger zz_probe after insert on metrics_event_inbox for each statement execute function public.durability_probe();
  create trigger zz_probe after insert on events for each statement execute function public.durability_probe();
  create trigger zz_probe after insert or update on usage_counters for each statement execute function public.durability_probe();
`;

let db: TestDatabase;
let pool: Pool;

async function withServerDefault(value: 'on' | 'off'): Promise<Pool> {
  await db.pool.query(`alter database "${db.name}" set synchronous_commit = ${value}`);
  await pool?.end();
  pool = createPool(db.url, 4);
  const { rows } = await pool.query(`select current_setting('synchronous_commit') as s`);
  expect(rows[0].s).toBe(value);
  return pool;
}

const probes = async (tbl: string) => {
  const { rows } = await db.pool.query(
    'delete from durability_probe where tbl = $1 returning sync, lock_timeout, statement_timeout',
    [tbl],
  );
  return rows;
};

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(PROBE);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('acknowledged product events and usage commit durably whatever the server default', () => {
  it('enqueueEvents, insertEvents and incrementUsage commit with synchronous_commit = on and bounded waits', async () => {
    const p = await withServerDefault('off');
    await enqueueEvents(p, 'dur', [ev('d1', 'feature_used', '2026-06-01T10:00:00Z')]);
    expect(await probes('metrics_event_inbox')).toEqual([
      { sync: 'on', lock_timeout: '5s', statement_timeout: '30s' },
    ]);
    await insertEvents(
      p,
      'dur',
      [ev('d2', 'feature_used', '2026-06-01T10:00:00Z')],
      {},
      { lockTimeoutMs: 1500 },
    );
    expect(await probes('events')).toEqual([
      { sync: 'on', lock_timeout: '1500ms', statement_timeout: '30s' },
    ]);
    await incrementUsage(p, { app: 'dur', userId: 'd1', day: '2026-06-01', amount: 2 });
    // An upsert fires the insert and the update statement triggers.
    const usage = (await probes('usage_counters')).map((r) => r.sync);
    expect(usage.length).toBeGreaterThan(0);
    expect(usage.filter((s) => s !== 'on')).toEqual([]);
  });

  it('the ingest handler acknowledges only durably stored batches, with its lock and statement timeouts', async () => {
    const p = await withServerDefault('off');
    const { key } = await createApiKey(p, { app: 'dur', name: 'durability' });
    const onDemand = createEventInboxDrainer({ pool: p });
    const handler = createIngestHandler({ pool: p, drainer: { ...onDemand, kick: () => {} } });
    const server = await serveHandler(handler);
    try {
      const res = await postEvents(server.url, key, { events: [wire(new Date().toISOString())] });
      expect(res.status).toBe(200);
      expect(await probes('metrics_event_inbox')).toEqual([
        { sync: 'on', lock_timeout: '2s', statement_timeout: '10s' },
      ]);
    } finally {
      await server.close();
    }
  });

  it('the track_events RPC commits durably and bounds its lock waits', async () => {
    const p = await withServerDefault('off');
    const { rows } = await p.query(`select public.track_events('dur', $1::jsonb) as r`, [
      JSON.stringify([
        {
          id: randomUUID(),
          name: 'feature_used',
          category: 'feature',
          user_id: 'rpc1',
          occurred_at: new Date().toISOString(),
        },
      ]),
    ]);
    expect(rows[0].r).toMatchObject({ received: 1, inserted: 1 });
    expect(await probes('events')).toEqual([{ sync: 'on', lock_timeout: '5s', statement_timeout: '0' }]);
  });

  it('the inbox drain, derived and redone from the inbox, commits asynchronously', async () => {
    const p = await withServerDefault('on');
    await enqueueEvents(p, 'dur', [ev('d3', 'feature_used', '2026-06-02T10:00:00Z')]);
    await probes('metrics_event_inbox');
    // Moves what the tests before left in the inbox too, in one statement.
    expect(await drainEventInbox(p)).toBeGreaterThanOrEqual(1);
    expect((await probes('events')).map((r) => r.sync)).toEqual(['off']);
  });
});
