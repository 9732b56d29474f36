import {
  defaultEventRegistry,
  type LedgerQueue,
  MAX_EVENT_DEPTH,
  processEvent,
  startQueue,
} from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, postSigned, sign, startApp } from './support/server.ts';

/**
 * Signed Stripe events whose content Postgres cannot store, and signatures dated ahead: the
 * sender's problem, answered with a 4xx or stored sanitised, never "retry later" (503).
 */
let db: TestDatabase;
let queue: LedgerQueue;
let app: Awaited<ReturnType<typeof startApp>>;
const f = eventFactory({ prefix: 'abuse' });
const T = 1_767_225_600;

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool);
  app = await startApp(db.pool);
});
afterAll(async () => {
  await app?.close();
  await queue?.stop();
  await db?.drop();
});

const counts = async () => {
  const r = await db.pool.query(
    `select (select count(*)::int from public.stripe_events) as events, (select count(*)::int from pgboss.job where name = 'stripe-events') as jobs`,
  );
  return r.rows[0] as { events: number; jobs: number };
};
const customer = (n: number, name: string, extra: Record<string, unknown> = {}) =>
  f.event('customer.created', T + n, {
    ...customerObject(`cus_abuse${n}`, `a${n}@example.test`, name, T + n),
    ...extra,
  });

describe('content Postgres cannot store', () => {
  it('stores an event with a NUL character sanitised and processes it', async () => {
    const e = customer(1, 'Null\u0000Name', { metadata: { 'key\u0000': 'v\u0000' } });
    const body = JSON.stringify(e);
    expect(body).toContain('\\u0000');
    const res = await postSigned(app.url, e);
    expect(res).toEqual({
      status: 200,
      body: { received: true, id: e.id, duplicate: false, sanitized: true },
    });
    const stored = await db.pool.query('select payload from public.stripe_events where id = $1', [e.id]);
    expect(stored.rows[0].payload.data.object.name).toBe('Null\ufffdName');
    expect(stored.rows[0].payload.data.object.metadata).toEqual({ 'key\ufffd': 'v\ufffd' });
    expect((await processEvent(db.pool, e.id, { registry: defaultEventRegistry() })).status).toBe(
      'processed',
    );
    const mirrored = await db.pool.query('select name from public.stripe_customers where id = $1', [
      'cus_abuse1',
    ]);
    expect(mirrored.rows[0]?.name).toBe('Null\ufffdName');
    // Stripe resends the same bytes: a duplicate, not a second row.
    expect((await postSigned(app.url, e)).body).toMatchObject({ duplicate: true, sanitized: true });
  });

  it('stores an event with unpaired surrogates sanitised', async () => {
    const e = customer(2, 'Lone \ud800 high', { description: 'lone low \udc00, pair \ud83d\ude00' });
    expect(JSON.stringify(e)).toContain('\\ud800');
    const res = await postSigned(app.url, e);
    expect(res).toMatchObject({ status: 200, body: { sanitized: true } });
    const stored = await db.pool.query('select payload from public.stripe_events where id = $1', [e.id]);
    expect(stored.rows[0].payload.data.object).toMatchObject({
      name: 'Lone \ufffd high',
      description: 'lone low \ufffd, pair \ud83d\ude00',
    });
  });

  it(`refuses nesting deeper than ${MAX_EVENT_DEPTH} levels with 400 invalid_payload, writing nothing`, async () => {
    const before = await counts();
    for (const levels of [MAX_EVENT_DEPTH, 50_000]) {
      // Built as text: JSON.stringify itself recurses per level.
      const body = JSON.stringify(customer(10 + levels, 'Deep', { metadata: { deep: 'DEEP' } })).replace(
        '"DEEP"',
        `${'{"v":'.repeat(levels)}"leaf"${'}'.repeat(levels)}`,
      );
      const res = await post(app.url, body, { 'stripe-signature': sign(body) });
      expect(res).toMatchObject({
        status: 400,
        body: {
          error: { code: 'invalid_payload', message: expect.stringContaining(`${MAX_EVENT_DEPTH} levels`) },
        },
      });
    }
    expect(await counts()).toEqual(before);
  });

  it('answers a Postgres data error (timestamp out of range) with 400 invalid_payload, not 503', async () => {
    const before = await counts();
    const e = { ...customer(3, 'Far future'), created: 9_000_000_000_000_000 };
    const res = await postSigned(app.url, e);
    expect(res).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_payload', message: expect.stringContaining('SQLSTATE 22') } },
    });
    expect(await counts()).toEqual(before);
  });
});

describe('signature timestamps', () => {
  it('refuses a signature dated beyond the tolerance in the future, with the reason', async () => {
    const before = await counts();
    const e = customer(4, 'Presigned');
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [3_600, 365 * 86_400]) {
      const res = await postSigned(app.url, e, { timestamp: now + ahead });
      expect(res).toMatchObject({
        status: 400,
        body: {
          error: { code: 'invalid_signature', message: expect.stringMatching(/in the future.*300 s/) },
        },
      });
    }
    expect(await counts()).toEqual(before);
    // A sender clock a little ahead, within the tolerance, is fine.
    const body = JSON.stringify(e);
    const res = await post(app.url, body, { 'stripe-signature': sign(body, { timestamp: now + 60 }) });
    expect(res.status).toBe(200);
  });
});
