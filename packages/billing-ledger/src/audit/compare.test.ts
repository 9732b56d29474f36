import { describe, expect, it } from 'vitest';
import { type AuditRecord, compareRecords, exitCodeOf, monthRange, verdictOf } from './compare.ts';

const pi = (id: string, amount: number, status = 'succeeded', currency = 'usd'): AuditRecord => ({
  kind: 'payment_intent',
  id,
  amount,
  currency,
  status,
  customer: 'cus_1',
});
const sub = (id: string, status: string, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  kind: 'subscription',
  id,
  amount: null,
  currency: 'usd',
  status,
  customer: 'cus_1',
  cancelAtPeriodEnd: false,
  currentPeriodEnd: 100,
  ...extra,
});

describe('revenue audit rules', () => {
  it('passes when both sides agree', () => {
    const both = [pi('pi_1', 100), sub('sub_1', 'active')];
    expect(compareRecords(both, both)).toEqual([]);
    expect(verdictOf([])).toBe('PASS');
    expect(exitCodeOf('PASS')).toBe(0);
  });

  it('grades each discrepancy and sorts HIGH first', () => {
    const stripe = [
      pi('pi_missing', 100),
      pi('pi_open', 50, 'requires_payment_method'),
      pi('pi_amount', 100),
      pi('pi_cur', 100, 'succeeded', 'eur'),
      sub('sub_drift', 'canceled'),
      sub('sub_note', 'active', { currentPeriodEnd: 200 }),
      pi('pi_status', 70, 'processing'),
    ];
    const ledger = [
      pi('pi_amount', 90),
      pi('pi_cur', 100),
      sub('sub_drift', 'active'),
      sub('sub_note', 'active'),
      pi('pi_status', 70, 'requires_action'),
      pi('pi_extra', 10),
    ];
    const f = compareRecords(stripe, ledger);
    const by = (id: string) => f.filter((x) => x.id === id).map((x) => `${x.severity} ${x.type}`);
    expect(by('pi_missing')).toEqual(['HIGH missing_in_ledger']);
    expect(by('pi_open')).toEqual(['MEDIUM missing_in_ledger']);
    expect(by('pi_amount')).toEqual(['HIGH amount_mismatch']);
    expect(by('pi_cur')).toEqual(['HIGH currency_mismatch']);
    expect(by('sub_drift')).toEqual(['HIGH subscription_drift']);
    expect(by('sub_note')).toEqual(['LOW subscription_drift']);
    expect(by('pi_status')).toEqual(['MEDIUM status_mismatch']);
    expect(by('pi_extra')).toEqual(['HIGH missing_in_stripe']);
    expect(f.map((x) => x.severity)).toEqual(
      [...f.map((x) => x.severity)].sort(
        (a, b) => ['HIGH', 'MEDIUM', 'LOW'].indexOf(a) - ['HIGH', 'MEDIUM', 'LOW'].indexOf(b),
      ),
    );
    expect(f.every((x) => x.recommendation.length > 20)).toBe(true);
    expect(verdictOf(f)).toBe('FAIL');
    expect(verdictOf(f.filter((x) => x.severity !== 'HIGH'))).toBe('WARN');
    expect(verdictOf(f.filter((x) => x.severity === 'LOW'))).toBe('PASS');
    expect([exitCodeOf('WARN'), exitCodeOf('FAIL')]).toEqual([1, 2]);
  });

  it('parses months into half-open UTC ranges', () => {
    expect(monthRange('2026-12')).toEqual({
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(monthRange('2026-13')).toBeNull();
    expect(monthRange('2026-1')).toBeNull();
  });
});
