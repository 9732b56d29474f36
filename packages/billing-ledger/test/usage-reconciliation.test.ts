import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/errors.ts';
import { dayRange, reconcileUsage, recordUsage } from '../src/usage/reconcile.ts';
import { slackNotifier } from '../src/usage/slack.ts';
import { httpUsageSource } from '../src/usage/source.ts';
import { checkWalletIntegrity, credit, getWallet, openWallet } from '../src/wallets/store.ts';
import { type FakeSlack, startFakeSlack } from './support/fake-slack.ts';
import {
  type FakeUsageProvider,
  type ProviderRecord,
  startFakeUsageProvider,
} from './support/fake-usage-provider.ts';

let db: TestDatabase;
let provider: FakeUsageProvider;
let slack: FakeSlack;
beforeAll(async () => {
  db = await createTestDatabase();
  provider = await startFakeUsageProvider({ pageSize: 7, apiKey: 'usage-key' });
  slack = await startFakeSlack();
});
afterAll(async () => {
  await provider.close();
  await slack.close();
  await db.drop();
});

const record = (i: number, owner: string, day = '2026-11-20'): ProviderRecord => ({
  id: `u_${owner}_${day}_${i}`,
  owner_id: owner,
  currency: 'usd',
  cost: 10 + (i % 5),
  quantity: i,
  occurred_at: `${day}T${String(i % 24).padStart(2, '0')}:15:00.000Z`,
});
const toInput = (r: ProviderRecord) => ({
  id: r.id,
  ownerId: r.owner_id,
  currency: r.currency,
  cost: r.cost,
  quantity: r.quantity,
  occurredAt: new Date(r.occurred_at),
});

describe('daily usage reconciliation', () => {
  it('inserts what the webhooks missed, deducts it once, records reliability and alerts Slack below 95%', async () => {
    const w = await openWallet(db.pool, { ownerId: 'org_usage', currency: 'usd' });
    if (!w.ok) throw new Error(w.error.message);
    await credit(db.pool, { walletId: w.value.id, amount: 10_000, idempotencyKey: 'seed' });
    const day = Array.from({ length: 40 }, (_, i) => record(i, 'org_usage'));
    const otherDay = [record(1, 'org_usage', '2026-11-21'), record(2, 'org_usage', '2026-11-19')];
    provider.records.push(...day, ...otherDay);
    // 36 of 40 arrived by webhook (90%); one of them twice.
    for (const r of day.slice(0, 36)) await recordUsage(db.pool, 'acme', toInput(r), 'webhook');
    expect((await recordUsage(db.pool, 'acme', toInput(day[0]!), 'webhook')).inserted).toBe(false);

    const source = httpUsageSource({ provider: 'acme', baseUrl: provider.url, apiKey: 'usage-key' });
    const run = await reconcileUsage(db.pool, source, {
      date: '2026-11-20',
      notifier: slackNotifier(slack.url),
    });
    expect(run.ok && run.value).toMatchObject({
      providerRecords: 40,
      recordedByWebhook: 36,
      reconciled: 4,
      reliability: 0.9,
      alerted: true,
    });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.text).toMatch(/acme were 90\.0% reliable on 2026-11-20/);

    const total = day.reduce((s, r) => s + r.cost, 0);
    const wallet = await getWallet(db.pool, w.value.id);
    expect(wallet.ok && wallet.value.balance).toBe(10_000 - total);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from public.usage_records where source = 'reconciled'`,
    );
    expect(rows[0].n).toBe(4);

    // Re-running the same day changes nothing and does not deduct again.
    const again = await reconcileUsage(db.pool, source, {
      date: '2026-11-20',
      notifier: slackNotifier(slack.url),
    });
    expect(again.ok && again.value).toMatchObject({
      providerRecords: 40,
      recordedByWebhook: 36,
      alreadyReconciled: 4,
      reconciled: 0,
    });
    const after = await getWallet(db.pool, w.value.id);
    expect(after.ok && after.value.balance).toBe(10_000 - total);
    const integrity = await checkWalletIntegrity(db.pool, w.value.id);
    expect(integrity.ok && integrity.value.balance === integrity.value.journalBalance).toBe(true);
    const runs = await db.pool.query(
      'select status, reliability::float as reliability from public.usage_reconciliation_runs order by id',
    );
    expect(runs.rows).toEqual([
      { status: 'succeeded', reliability: 0.9 },
      { status: 'succeeded', reliability: 0.9 },
    ]);
  });

  it('does not alert at or above 95% and records usage for owners without a wallet', async () => {
    slack.messages.length = 0;
    const day = Array.from({ length: 20 }, (_, i) => record(i, 'org_nowallet', '2026-11-18'));
    provider.records.push(...day);
    for (const r of day.slice(0, 19)) await recordUsage(db.pool, 'acme', toInput(r), 'webhook');
    const source = httpUsageSource({ provider: 'acme', baseUrl: provider.url, apiKey: 'usage-key' });
    const run = await reconcileUsage(db.pool, source, {
      date: '2026-11-18',
      notifier: slackNotifier(slack.url),
    });
    expect(run.ok && run.value).toMatchObject({ providerRecords: 20, reliability: 0.95, alerted: false });
    expect(slack.messages).toHaveLength(0);
    const { rows } = await db.pool.query(
      `select distinct deduction_status from public.usage_records where owner_id = 'org_nowallet'`,
    );
    expect(rows).toEqual([{ deduction_status: 'no_wallet' }]);
  });

  it('fails the run clearly when the provider is down, and validates the date', async () => {
    provider.failNext(1);
    const source = httpUsageSource({ provider: 'acme', baseUrl: provider.url, apiKey: 'usage-key' });
    const run = await reconcileUsage(db.pool, source, { date: '2026-11-17' });
    expect(run.ok === false && run.error).toBeInstanceOf(LedgerError);
    expect(run.ok === false && run.error).toMatchObject({
      code: 'usage_source_error',
      message: 'acme usage API answered 503',
    });
    const { rows } = await db.pool.query(
      `select status, error from public.usage_reconciliation_runs where range_start = '2026-11-17'`,
    );
    expect(rows[0]).toMatchObject({ status: 'failed', error: 'acme usage API answered 503' });
    expect((await reconcileUsage(db.pool, source, { date: '2026-02-30' })).ok).toBe(false);
    expect(dayRange('2026-11-20')).toEqual({
      start: new Date('2026-11-20T00:00:00Z'),
      end: new Date('2026-11-21T00:00:00Z'),
    });
  });
});
