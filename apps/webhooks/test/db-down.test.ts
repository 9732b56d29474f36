import { type LedgerQueue, startQueue } from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createPool, migrate, type Pool } from '@org/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnServer, startOwnServer } from './support/own-server.ts';
import { postSigned, startApp } from './support/server.ts';

// A separate embedded server in a temp data dir, stopped and restarted by this test only.
let server: OwnServer;
let pool: Pool;
let queue: LedgerQueue;
let app: Awaited<ReturnType<typeof startApp>>;
const f = eventFactory({ prefix: 'down' });
const T = 1_767_225_600;

beforeAll(async () => {
  server = await startOwnServer('dbdown');
  pool = createPool(server.url, 4);
  await migrate(pool);
  queue = await startQueue(pool);
  app = await startApp(pool);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await queue?.stop().catch(() => {});
  await pool?.end().catch(() => {});
  await server?.remove();
});

describe('database stopped while Stripe posts', () => {
  it('answers 503 while the database is down, then accepts the redelivery', async () => {
    const a = f.event('customer.created', T, customerObject('cus_d1', 'd1@example.test', 'D1', T));
    const b = f.event('customer.created', T + 1, customerObject('cus_d2', 'd2@example.test', 'D2', T));
    expect((await postSigned(app.url, a)).status).toBe(200);

    await server.stop();
    const down = await postSigned(app.url, b);
    expect(down).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ db: 'down' });

    await server.restart();
    // Stripe redelivers; the first attempt after the restart may meet a connection the server closed.
    let status = 0;
    for (let i = 0; i < 5 && status !== 200; i++) status = (await postSigned(app.url, b)).status;
    expect(status).toBe(200);
    const rows = await pool.query(`select id from public.stripe_events order by id`);
    expect(rows.rows.map((r) => r.id)).toEqual([a.id, b.id].sort());
    const jobs = await pool.query(`select count(*)::int as n from pgboss.job where name = 'stripe-events'`);
    expect(jobs.rows[0].n).toBe(2);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
