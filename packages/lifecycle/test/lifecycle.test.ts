import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { insertEvents, type ParsedWireEvent } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliverOutbox,
  kitProvider,
  lifecycleSeries,
  loopsProvider,
  recentTransitions,
  runLifecycle,
  stageDistribution,
} from '../src/index.ts';
import { startFakeApi } from './fake-providers.ts';

const ev = (
  userId: string,
  at: string,
  name = 'export_created',
  category = 'feature',
  accountId?: string,
): ParsedWireEvent => ({
  id: randomUUID(),
  name,
  category,
  userId,
  accountId: accountId ?? null,
  properties: {},
  occurredAt: new Date(at).toISOString(),
});
const signup = (u: string, at: string, acct?: string) => ev(u, at, 'user_signed_up', 'lifecycle', acct);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await insertEvents(db.pool, 'lc', [
    signup('a', '2026-03-02T09:00:00Z', 'acct1'),
    ev('a', '2026-03-09T09:00:00Z', undefined, undefined, 'acct1'),
    ev('a', '2026-03-23T09:00:00Z', undefined, undefined, 'acct1'),
    signup('b', '2026-03-03T09:00:00Z', 'acct1'),
    signup('c', '2026-03-10T09:00:00Z', 'acct2'),
    ev('c', '2026-03-16T09:00:00Z', undefined, undefined, 'acct2'),
    ev('d', '2026-02-20T09:00:00Z'),
    ev('d', '2026-03-16T10:00:00Z'),
    ev('e', '2026-02-01T10:00:00Z'),
  ]);
  await db.pool.query(
    `insert into stripe_customers (id, email, metadata, raw, src_at, src_rank, src_event) values ('cus_a', 'a@example.com', '{"user_id": "a"}', '{}', now(), 0, '')`,
  );
  await db.pool.query(
    `insert into billing_mrr_intervals (subscription_id, item_id, customer_id, currency, valid_from, valid_to, mrr) values ('sub_a', 'si_a', 'cus_a', 'usd', '2026-03-05', null, 2900)`,
  );
});
afterAll(() => db.drop());

describe('lifecycle series (PostHog definitions)', () => {
  it('classifies weekly new / returning / resurrecting / dormant', async () => {
    const series = await lifecycleSeries(db.pool, {
      interval: 'week',
      from: new Date('2026-03-02T00:00:00Z'),
      to: new Date('2026-03-30T00:00:00Z'),
      app: 'lc',
    });
    expect(series).toEqual([
      { period: '2026-03-02', new: 2, returning: 0, resurrecting: 0, dormant: 0 },
      { period: '2026-03-09', new: 1, returning: 1, resurrecting: 0, dormant: 1 },
      { period: '2026-03-16', new: 0, returning: 1, resurrecting: 1, dormant: 1 },
      { period: '2026-03-23', new: 0, returning: 0, resurrecting: 1, dormant: 2 },
    ]);
  });
  it('works at account level', async () => {
    const series = await lifecycleSeries(db.pool, {
      interval: 'month',
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
      app: 'lc',
      level: 'account',
    });
    expect(series).toEqual([{ period: '2026-03-01', new: 2, returning: 0, resurrecting: 0, dormant: 0 }]);
  });
});

describe('runLifecycle', () => {
  const asOf = new Date('2026-03-30T00:00:00Z');
  it('records stage transitions once and enqueues provider events', async () => {
    const first = await runLifecycle(db.pool, { app: 'lc', asOf, config: { provider: 'loops' } });
    expect(first.evaluated).toEqual({ user: 5, account: 2 });
    expect(first.distribution.user).toEqual({ at_risk: 1, new: 1, activated: 2, dormant: 1 });
    const byUser = Object.fromEntries(
      first.transitions.filter((t) => t.subjectType === 'user').map((t) => [t.subjectId, t.to]),
    );
    expect(byUser).toEqual({ a: 'at_risk', b: 'new', c: 'activated', d: 'activated', e: 'dormant' });
    expect(first.transitions.find((t) => t.subjectId === 'a')).toMatchObject({
      score: 26.97,
      email: 'a@example.com',
    });
    expect(first.recorded).toBe(first.transitions.length);
    expect(first.enqueued).toBe(first.transitions.filter((t) => t.to !== 'new').length);

    const again = await runLifecycle(db.pool, { app: 'lc', asOf, config: { provider: 'loops' } });
    expect(again).toMatchObject({ recorded: 0, enqueued: 0, transitions: [] });
    expect(await stageDistribution(db.pool, { app: 'lc', asOf })).toEqual([
      { stage: 'activated', count: 2 },
      { stage: 'at_risk', count: 1 },
      { stage: 'dormant', count: 1 },
      { stage: 'new', count: 1 },
    ]);
    expect(
      await recentTransitions(db.pool, {
        app: 'lc',
        level: 'user',
        from: new Date('2026-03-01T00:00:00Z'),
        to: new Date('2026-04-01T00:00:00Z'),
      }),
    ).toHaveLength(5);
  });

  it('plans without writing in a dry run', async () => {
    const later = new Date('2026-04-10T00:00:00Z');
    const dry = await runLifecycle(db.pool, { app: 'lc', asOf: later, dryRun: true, levels: ['user'] });
    expect(dry.transitions).toContainEqual(
      expect.objectContaining({ subjectId: 'b', from: 'new', to: 'dormant' }),
    );
    const { rows } = await db.pool.query(
      `select stage from lifecycle_stages where app = 'lc' and subject_id = 'b'`,
    );
    expect(rows).toEqual([{ stage: 'new' }]);
  });
});

describe('email outbox', () => {
  it('delivers to Loops with idempotency keys, honouring 429 Retry-After', async () => {
    const loops = await startFakeApi((_req, n) =>
      n === 1
        ? {
            status: 429,
            body: { success: false, message: 'Rate limit exceeded' },
            headers: { 'retry-after': '30' },
          }
        : { status: 200, body: { success: true } },
    );
    try {
      const provider = loopsProvider({ apiKey: 'loops_test_key', baseUrl: loops.url });
      const t0 = new Date('2026-03-30T01:00:00Z');
      expect(await deliverOutbox(db.pool, { provider, now: t0, ratePerSecond: 1000 })).toEqual({
        sent: 5,
        retried: 1,
        dead: 0,
      }); // 4 user + 2 account transitions
      expect(
        await deliverOutbox(db.pool, { provider, now: new Date(t0.getTime() + 10_000), ratePerSecond: 1000 }),
      ).toEqual({ sent: 0, retried: 0, dead: 0 });
      expect(
        await deliverOutbox(db.pool, { provider, now: new Date(t0.getTime() + 31_000), ratePerSecond: 1000 }),
      ).toEqual({ sent: 1, retried: 0, dead: 0 });
      const first = loops.requests[0]!;
      expect(first).toMatchObject({
        method: 'POST',
        path: '/api/v1/events/send',
        headers: { authorization: 'Bearer loops_test_key' },
      });
      expect(first.body).toMatchObject({
        userId: expect.any(String),
        eventName: expect.stringMatching(/^lifecycle_/),
        eventProperties: { app: 'lc' },
      });
      const keys = loops.requests.map((r) => r.headers['idempotency-key']);
      expect(keys.at(-1)).toBe(keys[0]); // the retry reuses the key
      expect(new Set(keys).size).toBe(6);
      const { rows } = await db.pool.query(
        `select status, count(*)::int as n from email_outbox group by status`,
      );
      expect(rows).toEqual([{ status: 'sent', n: 6 }]);
      const toA = loops.requests.find((r) => (r.body as { userId: string }).userId === 'a');
      expect(toA?.body).toMatchObject({ email: 'a@example.com', eventName: 'lifecycle_at_risk' });
    } finally {
      await loops.close();
    }
  });

  it('delivers to Kit (upsert subscriber, tag by email) and parks permanent failures as dead', async () => {
    await db.pool.query(
      `insert into email_outbox (idempotency_key, provider, event_name, email, subject_id, payload, next_attempt_at) values
        ('k1', 'kit', 'lifecycle_at_risk', 'ok@example.com', 'u1', '{"stage": "at_risk", "engagementScore": 20}', '2026-03-30'),
        ('k2', 'kit', 'lifecycle_at_risk', null, 'u2', '{"stage": "at_risk"}', '2026-03-30'),
        ('k3', 'kit', 'lifecycle_dormant', 'bad@example.com', 'u3', '{"stage": "dormant"}', '2026-03-30'),
        ('k4', 'kit', 'lifecycle_dormant', 'down@example.com', 'u4', '{"stage": "dormant"}', '2026-03-30')`,
    );
    const kit = await startFakeApi((req) => {
      const email = (req.body as { email_address?: string }).email_address;
      if (email === 'bad@example.com') return { status: 422, body: { errors: ['Email address is invalid'] } };
      if (email === 'down@example.com') return { status: 503, body: { errors: ['Service unavailable'] } };
      if (req.path === '/v4/subscribers')
        return { status: 201, body: { subscriber: { id: 1, email_address: email, state: 'active' } } };
      return {
        status: 201,
        body: { subscriber: { id: 1, email_address: email, tagged_at: '2026-03-30T00:00:00Z' } },
      };
    });
    try {
      const provider = kitProvider({ apiKey: 'kit_test_key', baseUrl: kit.url, tagIds: { at_risk: 175 } });
      const now = new Date('2026-03-30T02:00:00Z');
      expect(await deliverOutbox(db.pool, { provider, now, ratePerSecond: 1000, maxAttempts: 1 })).toEqual({
        sent: 1,
        retried: 0,
        dead: 3,
      });
      expect(
        kit.requests.slice(0, 2).map((r) => [r.method, r.path, r.headers['x-kit-api-key'], r.body]),
      ).toEqual([
        [
          'POST',
          '/v4/subscribers',
          'kit_test_key',
          {
            email_address: 'ok@example.com',
            state: 'active',
            fields: { lifecycle_stage: 'at_risk', engagement_score: '20' },
          },
        ],
        ['POST', '/v4/tags/175/subscribers', 'kit_test_key', { email_address: 'ok@example.com' }],
      ]);
      const { rows } = await db.pool.query(
        `select idempotency_key as k, status, last_error from email_outbox where provider = 'kit' order by 1`,
      );
      expect(rows.map((r) => [r.k, r.status])).toEqual([
        ['k1', 'sent'],
        ['k2', 'dead'],
        ['k3', 'dead'],
        ['k4', 'dead'],
      ]);
      expect(rows[1].last_error).toMatch(/needs an email/);
      expect(rows[2].last_error).toMatch(/422/);
    } finally {
      await kit.close();
    }
  });
});

describe('RLS probes', () => {
  it('anon and plain authenticated users read 0 rows of the lifecycle and cohort tables; admins read them', async () => {
    await db.pool.query(`insert into cohort_refresh_runs (as_of) values (now())`);
    await db.pool.query(
      `insert into cohort_user_retention (app, granularity, mode, cohort_start, period, cohort_size, retained, as_of) values ('lc', 'week', 'on', '2026-03-02', 0, 2, 2, now())`,
    );
    await db.pool.query(
      `insert into cohort_revenue_retention (currency, cohort_month, month_offset, customers, start_mrr, mrr, capped_mrr, churned_customers, as_of) values ('usd', '2026-03-01', 0, 1, 2900, 2900, 2900, 0, now())`,
    );
    const tables = [
      'lifecycle_stages',
      'lifecycle_transitions',
      'email_outbox',
      'cohort_user_retention',
      'cohort_revenue_retention',
      'cohort_refresh_runs',
      'cohort_mrr_intervals',
    ];
    const read = async (role: string, claims: Record<string, unknown>, table: string) => {
      const client = await db.pool.connect();
      try {
        await client.query('begin');
        await client.query(`set local role ${role}`);
        await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
        return (await client.query(`select count(*)::int as n from public.${table}`)).rows[0].n as number;
      } catch {
        return 0; // permission denied: nothing readable
      } finally {
        await client.query('rollback');
        client.release();
      }
    };
    for (const table of tables) {
      expect(
        (await db.pool.query(`select count(*)::int as n from public.${table}`)).rows[0].n,
        table,
      ).toBeGreaterThan(0);
      expect(await read('anon', { role: 'anon' }, table), table).toBe(0);
      expect(await read('authenticated', { role: 'authenticated', sub: randomUUID() }, table), table).toBe(0);
      expect(
        await read(
          'authenticated',
          { role: 'authenticated', sub: randomUUID(), app_metadata: { role: 'admin' } },
          table,
        ),
        table,
      ).toBeGreaterThan(0);
    }
  });
});
