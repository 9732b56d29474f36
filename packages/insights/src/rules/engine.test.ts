import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MetricsSnapshot, metricsSnapshotSchema } from '../snapshot.ts';
import { changeOf } from './change.ts';
import { evaluateRules, type Finding, ruleIds, severityOrder } from './engine.ts';
import { parseThresholds, thresholdsSchema } from './thresholds.ts';

const period = { start: '2026-11-09T00:00:00.000Z', end: '2026-11-16T00:00:00.000Z' };
const previousPeriod = { start: '2026-11-02T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' };

function snap(partial: Omit<MetricsSnapshot, 'period' | 'currency'>, p = period): MetricsSnapshot {
  return metricsSnapshotSchema.parse({ period: p, currency: 'usd', ...partial });
}

const days = (start: string, values: number[]) =>
  values.map((value, i) => ({
    date: new Date(Date.parse(`${start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
    value,
  }));

const healthy = snap({
  revenue: {
    mrr: 80_000,
    newRevenue: 5_000,
    cashCollected: 90_000,
    payments: 40,
    movements: { new: 5_000, reactivation: 0, expansion: 1_000, contraction: 500, churn: 1_000 },
    grossMrrChurn: 0.02,
    payingCustomers: 60,
  },
  users: { total: 500, new: 50, active: 200, activationRate: 0.6 },
  engagement: {
    dau: 40,
    averageDau: 40,
    wau: 120,
    mau: 200,
    stickiness: 0.2,
    dauSeries: days('2026-11-09', [41, 42, 40, 39, 38, 40, 40]),
  },
  funnel: {
    steps: [
      { name: 'user_signed_up', users: 50 },
      { name: 'enrichment_completed', users: 30 },
    ],
    signupToCoreAction: 0.6,
    coreActionToPayment: 0.2,
  },
  ledger: { failedPayments: 0, deadWebhooks: 0, pendingWebhooks: 0 },
});
const healthyPrevious = snap(
  {
    ...healthy,
    revenue: { ...healthy.revenue, mrr: 78_000, payments: 38 },
    engagement: { ...healthy.engagement, dauSeries: undefined },
  },
  previousPeriod,
);

const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);
const goal = (major: number) => parseThresholds({ mrrGoal: major * 100 });

describe('evaluateRules', () => {
  it('finds nothing on a healthy, stable business and skips nothing', () => {
    const { findings, skipped } = evaluateRules(healthy, healthyPrevious);
    expect(findings).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('has no MRR goal unless one is set: no goal finding, whatever the MRR', () => {
    const tiny = snap({ revenue: { mrr: 1 } });
    expect(byRule(evaluateRules(tiny, undefined).findings, 'mrr_below_goal')).toEqual([]);
    expect(parseThresholds().mrrGoal).toBeUndefined();
  });

  it('flags MRR below a set goal, a warning under half of it, info nearer', () => {
    const low = snap({ revenue: { mrr: 20_000 } });
    const [finding] = evaluateRules(low, undefined, goal(500)).findings;
    expect(finding).toMatchObject({ rule: 'mrr_below_goal', severity: 'warning' });
    expect(finding!.title).toBe('MRR is 40.0% of the $500.00 goal ($300.00 to go)');
    expect(finding!.evidence[0]).toMatchObject({ current: 20_000, threshold: 50_000, previous: null });
    const near = evaluateRules(snap({ revenue: { mrr: 40_000 } }), undefined, goal(500)).findings;
    expect(byRule(near, 'mrr_below_goal')[0]!.severity).toBe('info');
    expect(evaluateRules(snap({ revenue: { mrr: 50_000 } }), undefined, goal(500)).findings).toEqual([]);
  });

  it('compares like for like: period averages, never the last day alone (a Saturday against a Thursday)', () => {
    // The current period ends on a Sunday, the previous on a Sunday too, but the DAU of the last
    // day differs by weekday patterns; the averages over the periods are level.
    const current = snap({ engagement: { dau: 35, averageDau: 82 } });
    const previous = snap({ engagement: { dau: 85, averageDau: 80 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
    // A real drop of the average is reported, with its share of all users.
    const dropped = snap({ users: { total: 400 }, engagement: { dau: 35, averageDau: 40 } });
    const [f] = byRule(evaluateRules(dropped, previous).findings, 'period_change');
    expect(f).toMatchObject({ severity: 'warning', evidence: [{ metric: 'engagement.averageDau' }] });
    expect(f!.title).toBe('Average DAU fell 50.0% (80 -> 40, 10.0% of all users)');
  });

  it('refuses to compare periods of different lengths', () => {
    const current = snap({ users: { new: 30 } });
    const longer = snap(
      { users: { new: 90 } },
      { start: '2026-10-10T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' },
    );
    const outcome = evaluateRules(current, longer);
    expect(byRule(outcome.findings, 'period_change')).toEqual([]);
    expect(outcome.skipped.find((s) => s.rule === 'period_change')!.reason).toMatch(/not comparable/);
  });

  it('sizes a change by its business impact: share of MRR for money, of all users for counts', () => {
    const previous = snap(
      { revenue: { mrr: 100_000, newRevenue: 2_000 }, users: { total: 1_000, new: 50 } },
      previousPeriod,
    );
    // New MRR fell 50%, but that is 1% of MRR: info, not a warning.
    const small = evaluateRules(
      snap({ revenue: { mrr: 100_000, newRevenue: 1_000 }, users: { total: 1_000, new: 50 } }),
      previous,
    );
    expect(byRule(small.findings, 'period_change').map((f) => [f.evidence[0]!.metric, f.severity])).toEqual([
      ['revenue.newRevenue', 'info'],
    ]);
    // MRR fell 12%: critical.
    const big = evaluateRules(
      snap({ revenue: { mrr: 88_000, newRevenue: 2_000 }, users: { total: 1_000, new: 50 } }),
      previous,
      parseThresholds({ changeThreshold: 0.1 }),
    );
    expect(byRule(big.findings, 'period_change').map((f) => [f.evidence[0]!.metric, f.severity])).toEqual([
      ['revenue.mrr', 'critical'],
    ]);
  });

  it('reports ratio changes in percentage points', () => {
    const current = snap({ users: { activationRate: 0.5 } });
    const previous = snap({ users: { activationRate: 0.6 } }, previousPeriod);
    const [f] = byRule(evaluateRules(current, previous).findings, 'period_change');
    expect(f!.title).toBe('Activation rate fell 10.0 pp (60.0% -> 50.0%)');
    expect(f!.severity).toBe('warning');
    // 2 pp is within the default 5 pp: nothing.
    const slight = snap({ users: { activationRate: 0.58 } });
    expect(byRule(evaluateRules(slight, previous).findings, 'period_change')).toEqual([]);
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
    expect(evaluateRules(zero, zero).findings).toEqual([]);
  });

  it('ignores changes on tiny counts (below the minimum base)', () => {
    const current = snap({ users: { new: 2 } });
    const previous = snap({ users: { new: 4 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
  });

  it('flags activation, funnel conversions and stickiness below their targets, on enough users', () => {
    const weak = snap({
      users: { new: 40, activationRate: 0.3 },
      engagement: { mau: 100, stickiness: 0.1 },
      funnel: {
        steps: [
          { name: 'a', users: 40 },
          { name: 'b', users: 18 },
        ],
        signupToCoreAction: 0.45,
        coreActionToPayment: 0.05,
      },
    });
    const rules = evaluateRules(weak, undefined).findings.map((f) => f.rule);
    expect(rules).toEqual([
      'activation_low',
      'signup_to_core_action_low',
      'core_action_to_payment_low',
      'stickiness_low',
    ]);
    const few = snap({ users: { new: 4, activationRate: 0.25 } });
    const outcome = evaluateRules(few, undefined);
    expect(outcome.findings).toEqual([]);
    expect(outcome.skipped.find((s) => s.rule === 'activation_low')!.reason).toBe(
      'too few new users (4) to judge Activation rate',
    );
  });

  it('rates churn and contraction by their share of MRR: 0.9% of MRR is not critical', () => {
    const movements = (churn: number, contraction: number) => ({
      new: 0,
      reactivation: 0,
      expansion: 0,
      contraction,
      churn,
    });
    // The case: a $626 contraction, 0.9% of MRR, after less in the previous period.
    const previous = snap({ revenue: { mrr: 69_500_00, movements: movements(0, 300_00) } }, previousPeriod);
    const current = snap({ revenue: { mrr: 69_600_00, movements: movements(0, 626_00) } });
    const [contraction] = evaluateRules(current, previous).findings;
    expect(contraction).toMatchObject({ rule: 'contraction_spike', severity: 'info' });
    expect(contraction!.title).toBe('Contraction MRR rose 108.7% to $626.00 (0.9% of MRR)');

    const base = snap({ revenue: { mrr: 100_000, movements: movements(1_000, 1_000) } }, previousPeriod);
    const warn = evaluateRules(snap({ revenue: { movements: movements(3_000, 1_000) } }), base).findings;
    expect(warn.map((f) => [f.rule, f.severity])).toEqual([['churn_spike', 'warning']]);
    const crit = evaluateRules(snap({ revenue: { movements: movements(6_000, 1_000) } }), base).findings;
    expect(crit.map((f) => [f.rule, f.severity])).toEqual([['churn_spike', 'critical']]);
    expect(crit[0]!.title).toBe('Churned MRR rose 500.0% to $60.00 (6.0% of MRR)');

    const highGross = evaluateRules(
      snap({ revenue: { movements: movements(1_000, 0), grossMrrChurn: 0.08 } }),
      base,
    ).findings;
    expect(highGross[0]).toMatchObject({ rule: 'churn_spike', severity: 'critical' });
    expect(highGross[0]!.evidence.map((e) => e.metric)).toEqual([
      'revenue.movements.churn',
      'revenue.grossMrrChurn',
    ]);
  });

  it('ranks stopped incoming data as the most severe finding, above a churn spike', () => {
    // The dashboard's default period after the demo's world ended: no product event for days.
    const stopped = snap({
      revenue: {
        mrr: 100_000,
        payments: 0,
        movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 9_000 },
      },
      engagement: { dau: 0, averageDau: 12, dauSeries: days('2026-11-09', [40, 42, 2, 0, 0, 0, 0]) },
    });
    const before = snap(
      {
        revenue: {
          mrr: 100_000,
          payments: 30,
          movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 1_000 },
        },
        engagement: { dau: 40, averageDau: 41 },
      },
      previousPeriod,
    );
    const { findings } = evaluateRules(stopped, before);
    expect(findings.slice(0, 2).map((f) => [f.rule, f.severity, f.title])).toEqual([
      ['data_stale', 'critical', 'No product events since 2026-11-11: 4 days without any active user'],
      [
        'data_stale',
        'critical',
        'No payment recorded in the period after 30 in the previous one: Stripe events may not be arriving',
      ],
    ]);
    expect(findings.map((f) => f.rule)).toContain('churn_spike');
    // A period without any event after an active one.
    const silent = snap({
      engagement: { averageDau: 0, dauSeries: days('2026-11-09', [0, 0, 0, 0, 0, 0, 0]) },
    });
    expect(evaluateRules(silent, before).findings[0]!.title).toBe(
      'No product events in the period (7 days without any active user after activity in the previous period)',
    );
    // Quiet days of a tiny product are not stale data.
    const tiny = snap({
      engagement: { averageDau: 0.6, dauSeries: days('2026-11-09', [1, 1, 0, 1, 1, 0, 0]) },
    });
    expect(byRule(evaluateRules(tiny, undefined).findings, 'data_stale')).toEqual([]);
  });

  it('treats Stripe events waiting past the limit as stale data', () => {
    const s = snap({ ledger: { pendingWebhooks: 12, oldestPendingAgeSeconds: 7_200, deadWebhooks: 0 } });
    const [f] = evaluateRules(s, undefined).findings;
    expect(f).toMatchObject({ rule: 'data_stale', severity: 'critical' });
    expect(f!.title).toBe('Stripe events have waited 2.0h to be processed: revenue figures are behind');
    const fresh = snap({ ledger: { pendingWebhooks: 2, oldestPendingAgeSeconds: 30, deadWebhooks: 0 } });
    expect(evaluateRules(fresh, undefined).findings).toEqual([]);
  });

  it('raises no finding from a period that is not over, except about incoming data', () => {
    const now = new Date('2026-11-13T10:00:00.000Z');
    const current = snap({
      revenue: {
        mrr: 10_000,
        movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 9_000 },
      },
      users: { new: 3, active: 20, total: 100 },
      engagement: { averageDau: 9, dauSeries: days('2026-11-09', [30, 31, 29, 30, 0, 0, 0]) },
      ledger: { deadWebhooks: 1 },
    });
    const previous = snap(
      {
        users: { new: 40, active: 90, total: 100 },
        revenue: {
          mrr: 20_000,
          movements: { new: 0, reactivation: 0, expansion: 0, contraction: 0, churn: 1_000 },
        },
      },
      previousPeriod,
    );
    const outcome = evaluateRules(current, previous, goal(500), { now });
    // The days after `now` have no events yet: not stale. Dead webhooks are a fact now.
    expect(outcome.findings.map((f) => f.rule)).toEqual(['dead_webhooks']);
    expect(outcome.skipped.map((s) => s.rule)).toEqual(
      ruleIds.filter((r) => r !== 'data_stale' && r !== 'dead_webhooks'),
    );
    expect(outcome.skipped[0]!.reason).toMatch(/^the period is not over/);
    // Once it is over, the same figures are judged.
    const over = evaluateRules(current, previous, goal(500), { now: new Date(period.end) });
    expect(over.findings.map((f) => f.rule)).toContain('churn_spike');
  });

  it('raises failed-payment and dead-webhook alerts, dead webhooks first', () => {
    const s = snap({
      revenue: { payingCustomers: 20 },
      ledger: { failedPayments: 3, failedPaymentAmount: 7_500, deadWebhooks: 1 },
    });
    const { findings } = evaluateRules(s, undefined);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([
      ['dead_webhooks', 'critical'],
      ['failed_payments', 'warning'],
    ]);
    expect(findings[1]!.title).toBe('3 failed payments ($75.00) in the period, 15.0% of paying customers');
    const many = snap({ revenue: { payingCustomers: 2_000 }, ledger: { failedPayments: 3 } });
    expect(evaluateRules(many, undefined).findings.map((f) => f.severity)).toEqual(['info']);
    expect(
      evaluateRules(s, undefined, parseThresholds({ failedPaymentsMax: 5, deadWebhooksMax: 1 })).findings,
    ).toEqual([]);
  });

  it('skips every rule whose data is missing and says why, without throwing', () => {
    const { findings, skipped } = evaluateRules(snap({}), undefined, goal(500));
    expect(findings).toEqual([]);
    expect(skipped.map((s) => s.rule)).toEqual([...ruleIds]);
    // Without a goal, the goal rule does not apply at all.
    expect(evaluateRules(snap({}), undefined).skipped.map((s) => s.rule)).not.toContain('mrr_below_goal');
    expect(skipped.find((s) => s.rule === 'period_change')!.reason).toBe('no previous snapshot');
  });

  it('compares only figures present in both periods', () => {
    const current = snap({ users: { new: 100 } });
    const previous = snap({ engagement: { averageDau: 10 } }, previousPeriod);
    expect(byRule(evaluateRules(current, previous).findings, 'period_change')).toEqual([]);
  });

  it('formats money in the snapshot currency with Stripe exponents', () => {
    const jpy = metricsSnapshotSchema.parse({ period, currency: 'jpy', revenue: { mrr: 1_000 } });
    expect(evaluateRules(jpy, undefined, parseThresholds({ mrrGoal: 5_000 })).findings[0]!.title).toBe(
      'MRR is 20.0% of the ¥5,000 goal (¥4,000 to go)',
    );
    const huf = metricsSnapshotSchema.parse({ period, currency: 'huf', revenue: { mrr: 100_000 } });
    expect(evaluateRules(huf, undefined, parseThresholds({ mrrGoal: 500_000 })).findings[0]!.title).toBe(
      'MRR is 20.0% of the HUF\u00a05,000.00 goal (HUF\u00a04,000.00 to go)',
    );
  });

  const money = fc.integer({ min: 0, max: 5_000_000 });
  const movementsArb = fc.record({
    new: money,
    reactivation: money,
    expansion: money,
    contraction: money,
    churn: money,
  });
  const snapshotArb = (p: typeof period) =>
    fc
      .record({
        mrr: fc.integer({ min: 1, max: 50_000_000 }),
        movements: movementsArb,
        total: fc.integer({ min: 1, max: 100_000 }),
        active: fc.nat({ max: 100_000 }),
        newUsers: fc.nat({ max: 10_000 }),
        // The collector rounds the average to 2 decimals.
        averageDau: fc.integer({ min: 0, max: 1_000_000 }).map((x) => x / 100),
        dau: fc.nat({ max: 10_000 }),
        activation: fc.integer({ min: 0, max: 10_000 }).map((x) => x / 10_000),
      })
      .map((x) =>
        snap(
          {
            revenue: { mrr: x.mrr, movements: x.movements },
            users: { total: x.total, active: x.active, new: x.newUsers, activationRate: x.activation },
            engagement: { averageDau: x.averageDau, dau: x.dau },
          },
          p,
        ),
      );

  it('never rates a money finding critical under the critical share of MRR, never compares single days, sorts by severity (property)', () => {
    const t = parseThresholds();
    fc.assert(
      fc.property(snapshotArb(period), snapshotArb(previousPeriod), (current, previous) => {
        const { findings } = evaluateRules(current, previous, t);
        const base = previous.revenue!.mrr!;
        for (const f of findings) {
          expect(f.evidence.map((e) => e.metric)).not.toContain('engagement.dau');
          if (f.severity !== 'critical') continue;
          if (f.rule === 'churn_spike' || f.rule === 'contraction_spike')
            expect(f.evidence[0]!.current! / base).toBeGreaterThanOrEqual(t.mrrShareCritical);
          if (f.rule === 'period_change' && f.evidence[0]!.unit === 'money')
            expect(Math.abs(f.evidence[0]!.change!.absolute) / base).toBeGreaterThanOrEqual(
              t.mrrShareCritical,
            );
        }
        const order = findings.map((f) => severityOrder[f.severity]);
        expect(order).toEqual([...order].sort((a, b) => a - b));
        for (const f of findings) expect(JSON.stringify(f)).not.toMatch(/NaN|Infinity/);
      }),
      { numRuns: 300 },
    );
  });

  it('raises nothing but incoming-data findings before the period is over (property)', () => {
    fc.assert(
      fc.property(
        snapshotArb(period),
        snapshotArb(previousPeriod),
        fc.integer({ min: 0, max: 7 * 24 - 1 }),
        (current, previous, hours) => {
          const now = new Date(Date.parse(period.start) + hours * 3_600_000);
          const { findings } = evaluateRules(current, previous, goal(1_000_000), { now });
          for (const f of findings) expect(['data_stale', 'dead_webhooks']).toContain(f.rule);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('thresholds', () => {
  it('has documented defaults, no goal, and rejects nonsense', () => {
    expect(parseThresholds()).toMatchObject({
      changeThreshold: 0.2,
      pointsThreshold: 0.05,
      activationMin: 0.5,
      coreActionToPaymentMin: 0.1,
      stickinessMin: 0.15,
      mrrShareWarning: 0.02,
      mrrShareCritical: 0.05,
    });
    expect('mrrGoal' in parseThresholds()).toBe(false);
    expect(thresholdsSchema.safeParse({ activationMin: 1.5 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ mrrGoal: -1 }).success).toBe(false);
    expect(thresholdsSchema.safeParse({ mrrGoal: 0 }).success).toBe(false);
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
