import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BillingJob,
  billingJobs,
  scheduleBillingJobs,
  startBillingJobWorkers,
} from '../src/backfill/scheduled-jobs.ts';
import { type LedgerQueue, startQueue } from '../src/queue.ts';
import { createStripeApi } from '../src/stripe-api/client.ts';
import { slackNotifier } from '../src/usage/slack.ts';
import { httpUsageSource } from '../src/usage/source.ts';
import { type FakeSlack, startFakeSlack } from './support/fake-slack.ts';
import { type FakeStripe, startFakeStripe } from './support/fake-stripe.ts';
import { type FakeUsageProvider, startFakeUsageProvider } from './support/fake-usage-provider.ts';

const NOW = 1_763_700_000; // 2025-11-21T04:40:00Z
let db: TestDatabase;
let queue: LedgerQueue;
let fake: FakeStripe;
let provider: FakeUsageProvider;
let slack: FakeSlack;
beforeAll(async () => {
  db = await createTestDatabase();
  queue = await startQueue(db.pool, { maintenanceIntervalSeconds: 1 });
  fake = await startFakeStripe({ now: NOW });
  provider = await startFakeUsageProvider();
  slack = await startFakeSlack();
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await Promise.all([fake.close(), provider.close(), slack.close()]);
  await db.drop();
});

describe('scheduled billing jobs', () => {
  it('schedules the three jobs on pg-boss cron with configurable schedules, and removes one set to off', async () => {
    const effective = await scheduleBillingJobs(queue, {
      reconcileUsage: '5 3 * * *',
      recoverWebhooks: 'off',
    });
    expect(effective).toEqual({
      reconcileUsage: '5 3 * * *',
      recoverWebhooks: null,
      revenueAudit: '0 6 * * *',
    });
    const schedules = await queue.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron, s.options?.tz]).sort()).toEqual([
      [billingJobs.reconcileUsage, '5 3 * * *', 'UTC'],
      [billingJobs.revenueAudit, '0 6 * * *', 'UTC'],
    ]);
    await expect(scheduleBillingJobs(queue, { revenueAudit: 'every day' })).rejects.toThrow(/cron/);
  });

  it('runs each job from the queue: reconciliation of yesterday, webhook recovery, a recorded audit with a Slack note', {
    timeout: 60_000,
  }, async () => {
    fake.seed({ customers: 4, days: 10, seed: 4 });
    provider.records.push({
      id: 'u1',
      owner_id: 'org_x',
      currency: 'usd',
      cost: 5,
      quantity: 1,
      occurred_at: '2025-11-20T10:00:00.000Z',
    });
    const results = new Map<BillingJob, unknown>();
    const workers = await startBillingJobWorkers(
      queue,
      {
        pool: db.pool,
        stripe: createStripeApi(fake.client(), { perSecond: 1000 }),
        usageSource: httpUsageSource({ provider: 'acme', baseUrl: provider.url }),
        notifier: slackNotifier(slack.url),
        now: () => new Date(NOW * 1000),
        onResult: (job, r) => results.set(job, r),
      },
      { pollingIntervalSeconds: 0.5 },
    );
    try {
      for (const name of Object.values(billingJobs)) await queue.boss.send(name, {});
      for (let i = 0; i < 200 && results.size < 3; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await workers.stop();
    }
    expect(results.get('reconcileUsage')).toMatchObject({
      provider: 'acme',
      providerRecords: 1,
      reconciled: 1,
      reliability: 0,
    });
    expect((results.get('recoverWebhooks') as { recovered: string[] }).recovered.length).toBe(
      fake.all('event').length,
    );
    expect(results.get('revenueAudit')).toMatchObject({ month: '2025-11', verdict: 'FAIL' });
    const { rows } = await db.pool.query('select month, verdict from public.revenue_audit_runs');
    expect(rows).toEqual([{ month: '2025-11', verdict: 'FAIL' }]);
    expect(slack.messages.map((m) => m.text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/acme were 0\.0% reliable on 2025-11-20/),
        expect.stringMatching(/Revenue audit 2025-11: FAIL/),
      ]),
    );
  });
});
