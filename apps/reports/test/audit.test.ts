import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyStripeObject } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeStripe,
  startFakeStripe,
} from '../../../packages/billing-ledger/test/support/fake-stripe.ts';
import { runCli } from './support.ts';

const NOW = 1_763_700_000; // 2025-11-21
let db: TestDatabase;
let fake: FakeStripe;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeStripe({ now: NOW });
  fake.seed({ customers: 8, days: 40, seed: 2, events: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'audit-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
  await db.drop();
});

describe('org-reports audit', () => {
  it('exits 2 on FAIL, 0 on PASS and 1 on WARN, writing md or json', async () => {
    const env = { DATABASE_URL: db.url, STRIPE_SECRET_KEY: 'sk_test_audit', STRIPE_API_BASE: fake.url };
    const objects = [
      'customer',
      'product',
      'price',
      'subscription',
      'invoice',
      'payment_intent',
      'charge',
      'refund',
    ].flatMap((t) => fake.all(t));
    const skipped = objects.find(
      (o) => o.object === 'invoice' && o.status === 'paid' && o.created >= Date.UTC(2025, 10, 1) / 1000,
    )!;
    for (const o of objects)
      if (o !== skipped) await applyStripeObject(db.pool, o, { observedAt: new Date(NOW * 1000) });

    const fail = await runCli(['audit', '--month', '2025-11'], env);
    expect(fail.code).toBe(2);
    expect(fail.stdout).toMatch(/^# Revenue audit 2025-11: FAIL/);
    expect(fail.stdout).toContain(skipped.id);

    await applyStripeObject(db.pool, skipped, { observedAt: new Date(NOW * 1000) });
    const file = path.join(dir, 'out', 'audit.json');
    const pass = await runCli(['audit', '--month', '2025-11', '--format', 'json', '--output', file], env);
    expect(pass.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      month: '2025-11',
      verdict: 'PASS',
      findings: [],
    });

    fake.create('invoice', {
      status: 'open',
      total: 500,
      amount_paid: 0,
      currency: 'usd',
      created: NOW - 100,
      customer: objects[0]!.id,
    });
    const warn = await runCli(['audit', '--month', '2025-11', '--json'], env);
    expect(warn.code).toBe(1);
    expect(JSON.parse(warn.stdout)).toMatchObject({ verdict: 'WARN', counts: { HIGH: 0, MEDIUM: 1 } });
  });

  it('exits 78 without STRIPE_SECRET_KEY and 64 for a malformed month', async () => {
    expect((await runCli(['audit', '--month', '2025-11'], { DATABASE_URL: db.url })).code).toBe(78);
    expect(
      (
        await runCli(['audit', '--month', '2025-13'], {
          DATABASE_URL: db.url,
          STRIPE_SECRET_KEY: 'sk_test_x',
        })
      ).code,
    ).toBe(64);
  });
});
