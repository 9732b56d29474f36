import { describe, expect, it } from 'vitest';
import { type MetricsSnapshot, metricsSnapshotSchema } from '../snapshot.ts';
import { changeOf } from './change.ts';
import { evaluateRules, type Finding, ruleIds } from './engine.ts';
import { parseThresholds, thresholdsSchema } from './thresholds.ts';

const period = { start: '2026-11-09T00:00:00.000Z', end: '2026-11-16T00:00:00.000Z' };
const previousPeriod = { start: '2026-11-02T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' };

function snap(partial: Omit<MetricsSnapshot, 'period' | 'currency'>, p = period): MetricsSnapshot {
  return metricsSnapshotSchema.parse({ period: p, currency: 'usd', ...partial });
}

const healthy = snap({
  revenue: {
    mrr: 80_000,
    newRevenue: 5_000,
    cashCollected: 90_000,
    movements: { new: 5_000, reactivation: 0, expansion: 1_000, contraction: 500, churn: 1_000 },
    grossMrrChurn: 0.02,
  },
  users: { total: 500, new: 50, active: 200, activationRate: 0.6 },
  engagement: { dau: 40, wau: 120, mau: 200, stickiness: 0.2 },
  funnel: { steps: [], signupToCoreAction: 0.6, coreActionToPayment: 0.2 },
  ledger: { failedPayments: 0, deadWebhooks: 0 },
});
const healthyPrevious = snap({ ...healthy, revenue: { ...healthy.revenue, mrr: 78_000 } }, previousPeriod);

const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);

describe('evaluateRules', () => {
  it('finds nothing on a healthy, stable business and skips nothing', () => {
    const { findings, skipped } = evaluateRules(healthy, healthyPrevious);
    expect(findings).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('flags MRR below the goal, critical under half of it, with the numbers as evidence', () => {
    const low = snap({ revenue: { mrr: 20_000 } });
    const [finding] = evaluateRules(low, undefined, parseThresholds({ mrrGoal: 50_000 })).findings;
    expect(finding).toMatchObject({ rule: 'mrr_below_goal', severity: 'critical' });
    expect(finding!.title).toBe('MRR is 40.0% of the $500.00 goal ($300.00 to go)');
    expect(finding!.evidence[0]).toMatchObject({
      current: 20_000,
      threshold: 50_000,
      previous: null,
      change: null,
    });

    const near = evaluateRules(snap({ revenue: { mrr: 40_000 } }), undefined).findings;
    expect(byRule(near, 'mrr_below_goal')[0]!.severity).toBe('warning');
    expect(
      byRule(evaluateRules(snap({ revenue: { mrr: 50_000 } }), undefined).findings, 'mrr_below_goal'),
    ).toEqual([]);
    expect(
      evaluateRules(snap({ revenue: { mrr: 0 } }), undefined, parseThresholds({ mrrGoal: 0 })).findings,
    ).toEqual([]);
  });

  it('reports period-over-period changes beyond the threshold in both directions', () => {
    const current = snap({ users: { new: 30, active: 300 }, engagement: { dau: 50 } });
    const previous = snap({ users: { new: 50, active: 200 }, engagement: { dau: 45 } }, previousPeriod);
    const changes = byRule(evaluateRules(current, previous).findings, 'period_change');
    expect(changes.map((f) => [f.evidence[0]!.metric, f.severity])).toEqual([
      ['users.new', 'warning'],
      ['users.active', 'positive'],
    ]);
    expect(changes[0]!.title).toBe('New users fell 40.0% (50 -> 30)');
    expect(changes[0]!.evidence[0]!.change).toEqual({ absolute: -20, relative: -0.4 });
  });

  it('honours a configured change threshold', () => {
    const current = snap({ users: { active: 110 } });
    const previous = snap({ users: { active: 100 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
    const strict = evaluateRules(current, previous, parseThresholds({ changeThreshold: 0.05 })).findings;
    expect(byRule(strict, 'period_change')).toHaveLength(1);
  });

  it('treats a zero previous value as "from 0" (no ratio, no division by zero)', () => {
    const current = snap({ revenue: { mrr: 60_000, newRevenue: 60_000 } });
    const previous = snap({ revenue: { mrr: 0, newRevenue: 0 } }, previousPeriod);
    const changes = byRule(evaluateRules(current, previous).findings, 'period_change');
    expect(changes.map((f) => f.severity)).toEqual(['info', 'info']);
    expect(changes[0]!.title).toBe('MRR went from 0 to $600.00');
    expect(changes[0]!.evidence[0]!.change).toEqual({ absolute: 60_000, relative: null });
    for (const f of changes) expect(JSON.stringify(f)).not.toMatch(/NaN|Infinity/);
  });

  it('says nothing when a figure is zero in both periods', () => {
    const zero = snap({
      revenue: { mrr: 0, movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 0 } },
    });
    const { findings } = evaluateRules(zero, zero, parseThresholds({ mrrGoal: 0 }));
    expect(findings).toEqual([]);
  });

  it('ignores changes on tiny counts (below the minimum base)', () => {
    const current = snap({ users: { new: 2 } });
    const previous = snap({ users: { new: 4 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
  });

  it('flags activation, funnel conversions and stickiness below their targets', () => {
    const weak = snap({
      users: { activationRate: 0.3 },
      engagement: { stickiness: 0.1 },
      funnel: { steps: [], signupToCoreAction: 0.45, coreActionToPayment: 0.05 },
    });
    const rules = evaluateRules(weak, undefined).findings.map((f) => f.rule);
    expect(rules).toEqual([
      'activation_low',
      'signup_to_core_action_low',
      'core_action_to_payment_low',
      'stickiness_low',
    ]);
    const boundary = snap({
      users: { activationRate: 0.5 },
      engagement: { stickiness: 0.15 },
      funnel: { steps: [], signupToCoreAction: 0.5, coreActionToPayment: 0.1 },
    });
    expect(evaluateRules(boundary, undefined).findings).toEqual([]);
  });

  it('detects a churn spike against the previous period and a gross churn above the ceiling', () => {
    const movements = (churn: number, contraction: number) => ({
      new: 0,
      reactivation: 0,
      expansion: 0,
      contraction,
      churn,
    });
    const previous = snap({ revenue: { movements: movements(1_000, 1_000) } }, previousPeriod);
    const spike = evaluateRules(snap({ revenue: { movements: movements(1_600, 1_100) } }), previous).findings;
    expect(spike.map((f) => [f.rule, f.severity])).toEqual([['churn_spike', 'critical']]);
    expect(spike[0]!.title).toBe('Churned MRR rose 60.0% to $16.00');

    const contraction = evaluateRules(
      snap({ revenue: { movements: movements(1_000, 2_000) } }),
      previous,
    ).findings;
    expect(contraction.map((f) => f.rule)).toEqual(['contraction_spike']);

    const fromZero = evaluateRules(
      snap({ revenue: { movements: movements(500, 0) } }),
      snap({ revenue: { movements: movements(0, 0) } }, previousPeriod),
    ).findings;
    expect(fromZero.map((f) => [f.rule, f.severity])).toEqual([['churn_spike', 'warning']]);

    const highGross = evaluateRules(
      snap({ revenue: { movements: movements(1_000, 0), grossMrrChurn: 0.08 } }),
      previous,
    ).findings;
    expect(highGross[0]).toMatchObject({ rule: 'churn_spike', severity: 'critical' });
    expect(highGross[0]!.evidence.map((e) => e.metric)).toEqual([
      'revenue.movements.churn',
      'revenue.grossMrrChurn',
    ]);
  });

  it('raises failed-payment and dead-webhook alerts, dead webhooks first', () => {
    const s = snap({ ledger: { failedPayments: 3, failedPaymentAmount: 7_500, deadWebhooks: 1 } });
    const { findings } = evaluateRules(s, undefined);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([
      ['dead_webhooks', 'critical'],
      ['failed_payments', 'warning'],
    ]);
    expect(findings[1]!.title).toBe('3 failed payments ($75.00) in the period');
    expect(
      evaluateRules(s, undefined, parseThresholds({ failedPaymentsMax: 5, deadWebhooksMax: 1 })).findings,
    ).toEqual([]);
  });

  it('skips every rule whose data is missing and says why, without throwing', () => {
    const empty = snap({});
    const { findings, skipped } = evaluateRules(empty, undefined);
    expect(findings).toEqual([]);
    expect(skipped.map((s) => s.rule)).toEqual([...ruleIds]);
    expect(skipped.find((s) => s.rule === 'period_change')!.reason).toBe('no previous snapshot');
  });

  it('compares only figures present in both periods', () => {
    const current = snap({ users: { new: 100 } });
    const previous = snap({ engagement: { dau: 10 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
  });

  it('orders findings by severity', () => {
    const s = snap({ revenue: { mrr: 40_000 }, users: { activationRate: 0.1 }, ledger: { deadWebhooks: 2 } });
    const severities = evaluateRules(s, undefined).findings.map((f) => f.severity);
    expect(severities).toEqual(['critical', 'warning', 'warning']);
  });

  it('formats money in the snapshot currency', () => {
    const eur = metricsSnapshotSchema.parse({ period, currency: 'jpy', revenue: { mrr: 1_000 } });
    expect(evaluateRules(eur, undefined, parseThresholds({ mrrGoal: 5_000 })).findings[0]!.title).toBe(
      'MRR is 20.0% of the ¥5,000 goal (¥4,000 to go)',
    );
  });
});

describe('thresholds', () => {
  it('has documented defaults and rejects nonsense', () => {
    expect(parseThresholds()).toMatchObject({
      mrrGoal: 50_000,
      changeThreshold: 0.2,
      activationMin: 0.5,
      coreActionToPaymentMin: 0.1,
      stickinessMin: 0.15,
    });
    expect(thresholdsSchema.safeParse({ activationMin: 1.5 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ mrrGoal: -1 }).success).toBe(false);
  });
});

describe('changeOf', () => {
  it('handles missing and zero values', () => {
    expect(changeOf(undefined, 1)).toBeNull();
    expect(changeOf(1, null)).toBeNull();
    expect(changeOf(5, 0)).toEqual({ absolute: 5, relative: null });
    expect(changeOf(-5, -10)).toEqual({ absolute: 5, relative: 0.5 });
  });
});
