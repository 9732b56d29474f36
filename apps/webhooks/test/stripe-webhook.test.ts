import { type LedgerQueue, startQueue } from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLD_SECRET, post, postSigned, sign, startApp } from './support/server.ts';

let db: TestDatabase;
let queue: LedgerQueue;
let app: Awaited<ReturnType<typeof startApp>>;
const f = eventFactory({ prefix: 'http' });
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
const customerEvent = (n: number) =>
  f.event('customer.created', T + n, customerObject(`cus_h${n}`, `h${n}@example.test`, `H ${n}`, T + n));

describe('POST /webhooks/stripe', () => {
  it('accepts a signed event after committing it with its job; a duplicate answers 200', async () => {
    const before = await counts();
    const e = customerEvent(1);
    const first = await postSigned(app.url, e);
    expect(first).toEqual({ status: 200, body: { received: true, id: e.id, duplicate: false } });
    expect(await counts()).toEqual({ events: before.events + 1, jobs: before.jobs + 1 });
    const again = await postSigned(app.url, e);
    expect(again.status).toBe(200);
    expect(again.body?.duplicate).toBe(true);
    expect(await counts()).toEqual({ events: before.events + 1, jobs: before.jobs + 1 });
    const row = await db.pool.query('select type, status, payload from public.stripe_events where id = $1', [
      e.id,
    ]);
    expect(row.rows[0]).toMatchObject({ type: 'customer.created', status: 'pending' });
    expect(row.rows[0].payload).toEqual(e);
  });

  it('accepts the previous secret while rotating', async () => {
    expect((await postSigned(app.url, customerEvent(2), { secret: OLD_SECRET })).status).toBe(200);
  });

  it('rejects tampered body, wrong secret, stale timestamp, missing or malformed header, malformed JSON, oversize body; writes nothing', async () => {
    const before = await counts();
    const e = customerEvent(3);
    const body = JSON.stringify(e);
    const tampered = await post(app.url, body.replace('h3@example', 'evil@example'), {
      'stripe-signature': sign(body),
    });
    expect(tampered.status).toBe(400);
    expect(tampered.body).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await postSigned(app.url, e, { secret: 'whsec_wrong' })).status).toBe(400);
    const stale = await postSigned(app.url, e, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_signature', message: expect.stringMatching(/tolerance/) } },
    });
    expect((await post(app.url, body)).body).toMatchObject({
      error: { code: 'invalid_signature', message: 'Missing Stripe-Signature header' },
    });
    expect((await post(app.url, body, { 'stripe-signature': 'garbage' })).status).toBe(400);
    const malformed = '{"id": "evt_x", "object": "event", ';
    expect(await post(app.url, malformed, { 'stripe-signature': sign(malformed) })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_payload' } },
    });
    const notEvent = JSON.stringify({ hello: 'world' });
    expect(await post(app.url, notEvent, { 'stripe-signature': sign(notEvent) })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_payload' } },
    });
    const big = JSON.stringify({
      ...e,
      data: { object: { ...e.data.object, metadata: { pad: 'x'.repeat(1024 * 1024) } } },
    });
    expect((await post(app.url, big, { 'stripe-signature': sign(big) })).status).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it('GET /healthz reports the database and the queue', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queue: { pending: number; oldestPendingAgeSeconds: number } };
    expect(body).toMatchObject({
      db: 'up',
      queue: { pending: expect.any(Number), processing: 0, failed: 0, dead: 0 },
    });
    expect(body.queue.pending).toBeGreaterThan(0);
    expect(body.queue.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('unknown routes answer 404 JSON', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
