import { createPool, type Pool, withTransaction } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimRecharge,
  configureWallet,
  createStripeWebhookHandler,
  credit,
  deduct,
  deductMany,
  defaultEventRegistry,
  insertEvent,
  type LedgerQueue,
  openWallet,
  parseEvent,
  processBatch,
  processEvent,
  recordUsage,
  registerWalletHandlers,
  startQueue,
} from '../src/index.ts';
import { customerObject, eventFactory, paymentIntentObject } from '../src/testing/index.ts';

/**
 * Every acknowledgement commits with `synchronous_commit = on`, on a database whose default is
 * `off` (what a server tuned for speed, or the embedded one before, gives every session). A
 * deferred constraint trigger on each acknowledging table records the setting in force when the
 * writing transaction commits: deferred triggers run inside COMMIT, just before the commit record
 * is written and (with `on`) flushed.
 */
let db: TestDatabase;
let pool: Pool;
let queue: LedgerQueue;
const SECRET = 'whsec_durable';
const stripe = new Stripe('sk_test_unused');
const f = eventFactory({ prefix: 'durable' });
const T = 1_767_225_600;
const probed = [
  'stripe_events',
  'wallets',
  'wallet_transactions',
  'wallet_rejections',
  'wallet_recharges',
  'usage_records',
];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`alter database "${db.name}" set synchronous_commit = off`);
  await db.pool.query(`
    create table public.test_commit_probe (id bigint generated always as identity, tbl text not null, setting text not null);
    create function public.test_commit_probe() returns trigger language plpgsql as $$
    begin
      insert into public.test_commit_probe (tbl, setting) values (tg_table_name, current_setting('synchronous_commit'));
      return null;
    end $$;`);
  for (const table of probed)
    await db.pool.query(
      `create constraint trigger test_commit_probe after insert on public.${table}
       deferrable initially deferred for each row execute function public.test_commit_probe()`,
    );
  // Sessions opened from here on get the database default.
  pool = createPool(db.url, 4);
  queue = await startQueue(pool);
});
afterAll(async () => {
  await queue?.stop();
  await pool?.end();
  await db?.drop();
});

/** The settings recorded at commit since `after` (probe row id), by table. */
async function commitsSince(after: number): Promise<{ tbl: string; setting: string }[]> {
  const { rows } = await db.pool.query<{ tbl: string; setting: string }>(
    'select tbl, setting from public.test_commit_probe where id > $1 order by id',
    [after],
  );
  return rows;
}
const lastProbe = async () =>
  Number((await db.pool.query('select coalesce(max(id), 0) as n from public.test_commit_probe')).rows[0].n);

async function expectDurable(tables: string[], action: () => Promise<unknown>) {
  const before = await lastProbe();
  await action();
  const commits = await commitsSince(before);
  expect(commits.map((c) => c.tbl).sort()).toEqual(expect.arrayContaining(tables));
  expect(commits.length).toBeGreaterThan(0);
  for (const c of commits)
    expect(c, `${c.tbl} committed with synchronous_commit=${c.setting}`).toMatchObject({ setting: 'on' });
}

function signedRequest(body: string): Request {
  return new Request('http://127.0.0.1/webhooks/stripe', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }),
    },
  });
}

describe('acknowledgements commit durably whatever the server default', () => {
  it('the test database defaults to synchronous_commit = off', async () => {
    expect((await pool.query('show synchronous_commit')).rows[0].synchronous_commit).toBe('off');
  });

  it('the Stripe webhook 200: inbox row and job (one statement)', async () => {
    const handler = createStripeWebhookHandler({ pool, stripe, secrets: [SECRET] });
    const e = f.event('customer.created', T, customerObject('cus_dur1', 'd1@example.test', 'D1', T));
    await expectDurable(['stripe_events'], async () => {
      const res = await handler(signedRequest(JSON.stringify(e)));
      expect(res.status).toBe(200);
    });
  });

  it('an inbox insert inside a caller transaction that asked for an async commit', async () => {
    const e = f.event('customer.created', T, customerObject('cus_dur2', 'd2@example.test', 'D2', T));
    const parsed = parseEvent(e);
    if (!parsed.ok) throw parsed.error;
    await expectDurable(['stripe_events'], () =>
      withTransaction(pool, (client) => insertEvent(client, parsed.value, JSON.stringify(e)), {
        commit: 'async',
      }),
    );
  });

  it('wallet open, deduction, rejection, list of deductions, credit, recharge claim', async () => {
    let walletId = '';
    await expectDurable(['wallets'], async () => {
      const w = await openWallet(pool, { ownerId: 'org_durable', currency: 'usd', debtLimit: 100 });
      if (!w.ok) throw w.error;
      walletId = w.value.id;
    });
    await expectDurable(['wallet_transactions'], async () => {
      expect((await deduct(pool, { walletId, amount: 60, idempotencyKey: 'd1' })).ok).toBe(true);
    });
    await expectDurable(['wallet_rejections'], async () => {
      const r = await deduct(pool, { walletId, amount: 1000, idempotencyKey: 'd2' });
      expect(!r.ok && r.error.code).toBe('debt_limit_exceeded');
    });
    await expectDurable(['wallet_transactions'], async () => {
      const answers = await deductMany(pool, [
        { walletId, amount: 1, idempotencyKey: 'm1' },
        { walletId, amount: 2, idempotencyKey: 'm2' },
      ]);
      expect(answers.every((a) => a.ok)).toBe(true);
    });
    await expectDurable(['wallet_transactions'], async () => {
      expect((await credit(pool, { walletId, amount: 500, idempotencyKey: 'c1' })).ok).toBe(true);
    });
    const configured = await configureWallet(pool, walletId, {
      recharge: { threshold: 1000, amount: 2000 },
      stripeCustomerId: 'cus_dur_wallet',
    });
    expect(configured.ok).toBe(true);
    await expectDurable(['wallet_recharges'], async () => {
      expect(await claimRecharge(pool, walletId)).toMatchObject({ created: true });
    });
  });

  it('a usage record with its deduction', async () => {
    const w = await openWallet(pool, { ownerId: 'org_usage_durable', currency: 'usd' });
    if (!w.ok) throw w.error;
    await expectDurable(['usage_records', 'wallet_transactions'], async () => {
      const r = await recordUsage(
        pool,
        'usage',
        { id: 'u1', ownerId: 'org_usage_durable', currency: 'usd', cost: 5, occurredAt: new Date(T * 1000) },
        'webhook',
      );
      expect(r).toEqual({ inserted: true, deduction: 'applied' });
    });
  });

  it('a wallet top-up credited by event processing, whose transactions ask for async commits', async () => {
    const w = await openWallet(pool, { ownerId: 'org_topup_durable', currency: 'usd' });
    if (!w.ok) throw w.error;
    const registry = registerWalletHandlers(defaultEventRegistry());
    const topUp = (n: number) =>
      f.event(
        'payment_intent.succeeded',
        T + n,
        paymentIntentObject({
          id: `pi_durable${n}`,
          customer: 'cus_topup',
          amount: 700,
          currency: 'usd',
          status: 'succeeded',
          created: T + n,
          metadata: { org_wallet_id: w.value.id, org_wallet_top_up: 'true' },
        }),
      );
    const events = [topUp(1), topUp(2), topUp(3)];
    for (const e of events) {
      const parsed = parseEvent(e);
      if (!parsed.ok) throw parsed.error;
      await withTransaction(pool, (client) => insertEvent(client, parsed.value, JSON.stringify(e)));
    }
    await expectDurable(['wallet_transactions'], async () => {
      expect((await processEvent(pool, events[0]!.id, { registry })).status).toBe('processed');
    });
    await expectDurable(['wallet_transactions'], async () => {
      const outcomes = await processBatch(
        pool,
        events.slice(1).map((e) => e.id),
        { registry },
      );
      expect([...(outcomes?.values() ?? [])].map((o) => o.status)).toEqual(['processed', 'processed']);
    });
  });

  it('leaves the sessions of the pool at the database default afterwards', async () => {
    const settings = await Promise.all(
      Array.from({ length: 4 }, () => pool.query('show synchronous_commit')),
    );
    expect(settings.map((s) => s.rows[0].synchronous_commit)).toEqual(['off', 'off', 'off', 'off']);
  });
});
