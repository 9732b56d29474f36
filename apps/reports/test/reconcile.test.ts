import { credit, openWallet, recordUsage } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../../packages/billing-ledger/test/support/fake-slack.ts';
import {
  type FakeUsageProvider,
  startFakeUsageProvider,
} from '../../../packages/billing-ledger/test/support/fake-usage-provider.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
let provider: FakeUsageProvider;
let slack: FakeSlack;
beforeAll(async () => {
  db = await createTestDatabase();
  provider = await startFakeUsageProvider({ pageSize: 5 });
  slack = await startFakeSlack();
});
afterAll(async () => {
  await provider.close();
  await slack.close();
  await db.drop();
});

describe('org-reports reconcile usage', () => {
  it('reconciles a day, prints the run and alerts Slack below 95%', async () => {
    const w = await openWallet(db.pool, { ownerId: 'org_cli', currency: 'usd' });
    if (!w.ok) throw new Error(w.error.message);
    await credit(db.pool, { walletId: w.value.id, amount: 1000, idempotencyKey: 'seed' });
    for (let i = 0; i < 10; i++) {
      const r = {
        id: `rec_${i}`,
        owner_id: 'org_cli',
        currency: 'usd',
        cost: 7,
        quantity: 1,
        occurred_at: `2026-11-20T0${i}:00:00.000Z`,
      };
      provider.records.push(r);
      if (i < 8)
        await recordUsage(
          db.pool,
          'acme',
          { id: r.id, ownerId: r.owner_id, currency: 'usd', cost: 7, occurredAt: new Date(r.occurred_at) },
          'webhook',
        );
    }
    const env = {
      DATABASE_URL: db.url,
      USAGE_PROVIDER_URL: provider.url,
      USAGE_PROVIDER_NAME: 'acme',
      SLACK_WEBHOOK_URL: slack.url,
    };
    const r = await runCli(['reconcile', 'usage', '--date', '2026-11-20', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      provider: 'acme',
      providerRecords: 10,
      recordedByWebhook: 8,
      reconciled: 2,
      reliability: 0.8,
      alerted: true,
    });
    expect(slack.messages).toHaveLength(1);

    const human = await runCli(['reconcile', 'usage', '--date', '2026-11-20'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/already reconciled\s+2/);

    const show = await runCli(['wallets', 'show', 'org_cli', '--json'], env);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ balance: 1000 - 70, debtLimit: 500, debtCapacity: 1430 });
    const check = await runCli(['wallets', 'check'], env);
    expect(check).toMatchObject({ code: 0, stdout: expect.stringMatching(/^PASS|PASS/) });
  });

  it('exits 78 without a provider URL and 64 for a bad date', async () => {
    const missing = await runCli(['reconcile', 'usage', '--date', '2026-11-20'], { DATABASE_URL: db.url });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('USAGE_PROVIDER_URL');
    const bad = await runCli(['reconcile', 'usage', '--date', '2026-13-01'], {
      DATABASE_URL: db.url,
      USAGE_PROVIDER_URL: provider.url,
    });
    expect(bad.code).toBe(64);
    const unknown = await runCli(['wallets', 'show', 'nobody'], { DATABASE_URL: db.url });
    expect(unknown.code).toBe(65);
  });
});
