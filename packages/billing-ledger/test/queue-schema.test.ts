import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import PgBoss from 'pg-boss';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStripeWebhookHandler,
  DEFAULT_QUEUE_SCHEMA,
  defaultEventRegistry,
  executor,
  type LedgerQueue,
  ledgerQueues,
  pgBossVersion,
  QUEUE_SCHEMA_MIGRATION,
  queueSchemaSql,
  STRIPE_EVENTS_QUEUE,
  startQueue,
  startWorker,
  waitForDrain,
} from '../src/index.ts';
import { customerObject, eventFactory } from '../src/testing/index.ts';

/**
 * The queue's schema is part of the migrations: a migrated database acknowledges a signed Stripe
 * event before any process started the queue, and the checked-in migration is exactly what the
 * installed pg-boss builds.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const migrationFile = path.join(here, '../../../supabase/migrations', QUEUE_SCHEMA_MIGRATION);
const SECRET = 'whsec_queue_schema';
const stripe = new Stripe('sk_test_unused');
const f = eventFactory({ prefix: 'qs' });
const T = 1_767_225_600;
let db: TestDatabase;
let queue: LedgerQueue | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await queue?.stop();
  await db?.drop();
});

/** A pg-boss instance on the pool that starts nothing: its public calls only. */
const bossOn = (pool: TestDatabase['pool']) =>
  new PgBoss({ db: executor(pool), schema: DEFAULT_QUEUE_SCHEMA } as PgBoss.ConstructorOptions);

describe('the queue migration', () => {
  it('is what the installed pg-boss builds (regenerate deliberately: pnpm --filter @org/billing-ledger queue-migration)', async () => {
    expect(pgBossVersion()).toBe('10.4.2');
    expect(readFileSync(migrationFile, 'utf8')).toBe(await queueSchemaSql());
  });

  it('installs pg-boss at its own schema version with the ledger queues', async () => {
    const boss = bossOn(db.pool);
    expect(await boss.isInstalled()).toBe(true);
    // What pg-boss's own construction plan records as the schema version it builds.
    const version = Number(/VALUES \('(\d+)'\)/.exec(PgBoss.getConstructionPlans(DEFAULT_QUEUE_SCHEMA))?.[1]);
    expect(await boss.schemaVersion()).toBe(version);
    for (const q of ledgerQueues)
      expect(await boss.getQueue(q.name)).toMatchObject({
        name: q.name,
        policy: 'standard',
        retryLimit: q.policy.retryLimit,
        retryDelay: q.policy.retryDelaySeconds,
        retryBackoff: q.policy.retryBackoff,
        expireInSeconds: q.policy.expireInSeconds,
      });
  });

  it('acknowledges a signed event after migrate alone, and a worker started afterwards processes it', async () => {
    const handler = createStripeWebhookHandler({ pool: db.pool, stripe, secrets: [SECRET] });
    const e = f.event('customer.created', T, customerObject('cus_qs1', 'qs@example.test', 'Q', T));
    const body = JSON.stringify(e);
    const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
    const res = await handler(
      new Request('http://localhost/webhooks/stripe', {
        method: 'POST',
        body,
        headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, id: e.id, duplicate: false });
    const row = await db.pool.query('select status, job_id from public.stripe_events where id = $1', [e.id]);
    expect(row.rows[0].status).toBe('pending');
    const job = await bossOn(db.pool).getJobById(STRIPE_EVENTS_QUEUE, row.rows[0].job_id);
    expect(job).toMatchObject({ state: 'created', data: { eventId: e.id, scope: 'cus_qs1' } });

    // pg-boss finds its schema current and changes nothing; the worker takes the job.
    queue = await startQueue(db.pool);
    const worker = startWorker({ pool: db.pool, queue, registry: defaultEventRegistry(), idleMs: 50 });
    try {
      expect(await waitForDrain(db.pool, { timeoutMs: 60_000 })).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(
      (await db.pool.query('select status from public.stripe_events where id = $1', [e.id])).rows[0],
    ).toEqual({ status: 'processed' });
    expect((await queue.boss.getJobById(STRIPE_EVENTS_QUEUE, row.rows[0].job_id))?.state).toBe('completed');
    const customer = await db.pool.query('select email from public.stripe_customers where id = $1', [
      'cus_qs1',
    ]);
    expect(customer.rows).toEqual([{ email: 'qs@example.test' }]);
  });
});

describe('on a database where pg-boss installed itself before the migration existed', () => {
  it('keeps that schema and adds the queues; a schema at another version stops the migration', async () => {
    const empty = await createTestDatabase(undefined, { empty: true });
    try {
      // pg-boss's own install on start (what startQueue did before the schema was a migration).
      const boss = new PgBoss({
        db: executor(empty.pool),
        schema: DEFAULT_QUEUE_SCHEMA,
        supervise: false,
      } as PgBoss.ConstructorOptions);
      boss.on('error', () => {});
      await boss.start();
      await boss.stop({ graceful: false, close: false });
      const ours = ledgerQueues.map((q) => q.name);
      const names = async () => (await bossOn(empty.pool).getQueues()).map((q) => q.name);
      expect((await names()).filter((n) => ours.includes(n))).toEqual([]);
      const result = await migrate(empty.pool);
      expect(result.applied.map((a) => a.name)).toContain(QUEUE_SCHEMA_MIGRATION);
      expect(await names()).toEqual(expect.arrayContaining(ours));

      // The same file on a pg-boss schema at another version refuses, inside a rolled-back transaction.
      const client = await empty.pool.connect();
      try {
        await client.query('begin');
        await client.query(`update ${DEFAULT_QUEUE_SCHEMA}.version set version = version - 1`);
        await expect(client.query(readFileSync(migrationFile, 'utf8'))).rejects.toThrow(
          /is at version \d+, this migration expects version \d+/,
        );
      } finally {
        await client.query('rollback');
        client.release();
      }
    } finally {
      await empty.drop();
    }
  });
});
