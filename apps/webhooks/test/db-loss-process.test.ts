import { readFileSync } from 'node:fs';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { connectClient, createPool, migrate, type Pool, type PoolClient } from '@org/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './support/app-process.ts';
import { childrenOf, type OwnServer, startOwnServer } from './support/own-server.ts';
import { postSigned } from './support/server.ts';

/**
 * The database goes away while the app's in-process worker is inside a transaction (blocked on a
 * row lock the test holds): once by a fast shutdown, once by SIGKILL of the postmaster. The app,
 * in its own process as users run it, stays up, answers 503 while the database is away, and
 * answers 200 and processes events again once it is back, without a restart.
 */
let server: OwnServer;
let pool: Pool;
let app: AppProcess;
const f = eventFactory({ prefix: 'loss' });
const T = 1_767_225_600;

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${app?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = async (id: string) =>
  (await pool.query<{ status: string }>('select status from public.stripe_events where id = $1', [id]))
    .rows[0]?.status;

/**
 * Makes the app's worker hold a connection inside a transaction: the test locks a mirrored
 * customer row, then an update of that customer arrives; the worker's upsert waits on the lock.
 */
async function workerBlockedOnLock(n: number): Promise<PoolClient> {
  const customer = `cus_loss${n}`;
  const created = f.event(
    'customer.created',
    T + n,
    customerObject(customer, `l${n}@example.test`, `L${n}`, T),
  );
  expect((await postSigned(app.url, created)).status).toBe(200);
  await until('the customer to be processed', 60_000, async () => (await status(created.id)) === 'processed');
  const locker = await connectClient(pool);
  await locker.query('begin');
  await locker.query('select 1 from public.stripe_customers where id = $1 for update', [customer]);
  const updated = f.event(
    'customer.updated',
    T + n + 1,
    customerObject(customer, `l${n}@example.test`, `L${n} renamed`, T),
  );
  expect((await postSigned(app.url, updated)).status).toBe(200);
  const lockerPid = (await locker.query('select pg_backend_pid() as pid')).rows[0].pid;
  await until('the worker to wait on the lock inside its transaction', 60_000, async () => {
    const { rows } = await pool.query(
      `select 1 from pg_stat_activity
       where pid <> $1 and wait_event_type = 'Lock' and xact_start is not null and query ilike '%stripe_customers%'`,
      [lockerPid],
    );
    return rows.length > 0;
  });
  return locker;
}

/** Running (not gone, not a zombie nobody reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function expectUnavailableThenRecovered(n: number) {
  // Away: the app is still up and says so.
  const during = f.event(
    'customer.created',
    T + n,
    customerObject(`cus_loss${n}`, `l${n}@example.test`, 'X', T),
  );
  const refused = await postSigned(app.url, during);
  expect(refused).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
  const health = await fetch(`${app.url}/healthz`);
  expect(health.status).toBe(503);
  expect(await health.json()).toMatchObject({ status: 'degraded', db: 'down' });
  expect(app.child.exitCode, app.output().slice(-3000)).toBeNull();

  await server.restart();
  // Back, no restart of the app: Stripe's redelivery is accepted and the worker processes again.
  await until(
    'the app to accept the redelivery',
    60_000,
    async () => (await postSigned(app.url, during)).status === 200,
  );
  await until('the worker to process it', 90_000, async () => (await status(during.id)) === 'processed');
  const after = await fetch(`${app.url}/healthz`);
  expect(after.status).toBe(200);
  expect(await after.json()).toMatchObject({ db: 'up', queue: { dead: 0 }, events: { pending: 0 } });
  expect(app.child.exitCode).toBeNull();
}

beforeAll(async () => {
  server = await startOwnServer('dbloss');
  pool = createPool(server.url, 4);
  await migrate(pool);
  app = await startAppProcess(server.url);
}, 180_000);

afterAll(async () => {
  if (app && app.child.exitCode === null) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  await pool?.end().catch(() => {});
  await server?.remove();
});

describe('the database lost while the worker holds a connection', () => {
  it('fast shutdown: the app answers 503, then 200 once the server is back', async () => {
    const locker = await workerBlockedOnLock(1);
    await server.stop();
    locker.release(true);
    await expectUnavailableThenRecovered(100);
  }, 240_000);

  it('SIGKILL of the postmaster: the app answers 503, then 200 once the server is back', async () => {
    const locker = await workerBlockedOnLock(2);
    const postmaster = server.postmaster();
    expect(postmaster).toBeGreaterThan(0);
    const backends = childrenOf(postmaster);
    process.kill(postmaster, 'SIGKILL');
    // Orphaned backends notice the postmaster's death and exit, closing the app's connections.
    await until('the backends to exit', 60_000, async () => backends.every((pid) => !alive(pid)));
    locker.release(true);
    await expectUnavailableThenRecovered(200);
  }, 240_000);

  it('drains and exits 0 on SIGTERM after all that', async () => {
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  }, 60_000);
});
