import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRevenueAudit } from '../src/audit/collect.ts';
import { renderAudit } from '../src/audit/render.ts';
import { applyStripeObject } from '../src/store/apply.ts';
import { createStripeApi } from '../src/stripe-api/client.ts';
import { type FakeStripe, type StripeObject, startFakeStripe } from './support/fake-stripe.ts';

// 2025-11-21T04:40:00Z
const NOW = 1_763_700_000;
const MONTH = '2025-11';
let db: TestDatabase;
let fake: FakeStripe;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeStripe({ now: NOW });
  fake.seed({ customers: 25, days: 60, seed: 5, events: false });
});
afterAll(async () => {
  await fake.close();
  await db.drop();
});

const mirrorAll = async (skip: Set<string> = new Set()) => {
  for (const type of [
    'customer',
    'product',
    'price',
    'subscription',
    'invoice',
    'payment_intent',
    'charge',
    'refund',
  ]) {
    for (const o of fake.all(type)) {
      if (skip.has(o.id)) continue;
      const r = await applyStripeObject(db.pool, o, { observedAt: new Date(NOW * 1000) });
      if (!r.ok) throw new Error(`${o.id}: ${r.error.message}`);
    }
  }
};

describe('revenue audit against Stripe', () => {
  it('passes when the ledger mirrors Stripe, then grades missing, drifted and foreign objects', async () => {
    const inMonth = (o: StripeObject) => o.created >= Date.UTC(2025, 10, 1) / 1000;
    const missing = fake.all('payment_intent').find((p) => inMonth(p) && p.status === 'succeeded')!;
    await mirrorAll(new Set([missing.id]));
    const api = createStripeApi(fake.client(), { perSecond: 1000 });

    const failing = await runRevenueAudit(db.pool, api, { month: MONTH, asOf: new Date(NOW * 1000) });
    expect(failing.ok).toBe(true);
    if (!failing.ok) return;
    expect(failing.value.verdict).toBe('FAIL');
    expect(failing.value.findings).toEqual([
      expect.objectContaining({ severity: 'HIGH', type: 'missing_in_ledger', id: missing.id }),
    ]);

    await applyStripeObject(db.pool, missing, { observedAt: new Date(NOW * 1000) });
    const passing = await runRevenueAudit(db.pool, api, { month: MONTH, asOf: new Date(NOW * 1000) });
    expect(passing.ok && passing.value).toMatchObject({ verdict: 'PASS', findings: [] });
    if (!passing.ok) return;
    expect(passing.value.totals.stripe.payment_intent!.count).toBeGreaterThan(0);
    expect(passing.value.totals.stripe).toEqual(passing.value.totals.ledger);

    // Stripe cancels a subscription whose webhook never arrives; an unpaid intent is never mirrored.
    const sub = fake.all('subscription').find((s) => s.status === 'active')!;
    Object.assign(sub, { status: 'canceled', canceled_at: NOW - 10, ended_at: NOW - 10 });
    fake.create('payment_intent', {
      amount: 900,
      currency: 'usd',
      status: 'requires_payment_method',
      created: NOW - 3600,
    });
    const drift = await runRevenueAudit(db.pool, api, { month: MONTH, asOf: new Date(NOW * 1000) });
    expect(drift.ok && drift.value.findings.map((f) => `${f.severity} ${f.type}`)).toEqual([
      'HIGH subscription_drift',
      'MEDIUM missing_in_ledger',
    ]);
    if (!drift.ok) return;
    const md = renderAudit(drift.value, 'md');
    expect(md).toMatch(/^# Revenue audit 2025-11: FAIL/);
    expect(md).toContain('| HIGH | subscription_drift |');
    expect(JSON.parse(renderAudit(drift.value, 'json')).verdict).toBe('FAIL');

    // Only the MEDIUM finding left: WARN.
    await applyStripeObject(db.pool, sub, { observedAt: new Date((NOW + 1) * 1000) });
    const warn = await runRevenueAudit(db.pool, api, { month: MONTH, asOf: new Date(NOW * 1000) });
    expect(warn.ok && warn.value.verdict).toBe('WARN');
  });

  it('rejects a malformed month and reports Stripe failures', async () => {
    const api = createStripeApi(fake.client(), { perSecond: 1000 });
    expect(await runRevenueAudit(db.pool, api, { month: '2025-13', asOf: new Date() })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    fake.failNext(1, { status: 401, type: 'invalid_request_error', message: 'Invalid API Key provided' });
    expect(await runRevenueAudit(db.pool, api, { month: MONTH, asOf: new Date() })).toMatchObject({
      ok: false,
      error: { code: 'stripe_error' },
    });
  });
});
