import { formatMoney, formatPercent, formatValue, type Unit } from '../format.ts';
import type { MetricsSnapshot } from '../snapshot.ts';
import { type Change, changeOf } from './change.ts';
import { defaultThresholds, type Thresholds } from './thresholds.ts';

export type Severity = 'critical' | 'warning' | 'info' | 'positive';

export const ruleIds = [
  'mrr_below_goal',
  'period_change',
  'activation_low',
  'signup_to_core_action_low',
  'core_action_to_payment_low',
  'stickiness_low',
  'churn_spike',
  'contraction_spike',
  'failed_payments',
  'dead_webhooks',
] as const;
export type RuleId = (typeof ruleIds)[number];

/** One number behind a finding. */
export interface Evidence {
  metric: string;
  label: string;
  unit: Unit;
  current: number | null;
  previous?: number | null;
  change?: Change | null;
  /** A limit on the value itself, in the evidence's unit. */
  threshold?: number;
  /** A limit on the relative change against the previous period (0.2 = 20%). */
  changeThreshold?: number;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  title: string;
  evidence: Evidence[];
  recommendation: string;
}

export interface RuleOutcome {
  /** Sorted: critical, warning, info, positive; within a severity in rule order. */
  findings: Finding[];
  /** Rules that could not run, with the data they lacked. */
  skipped: { rule: RuleId; reason: string }[];
}

export const severityOrder: Record<Severity, number> = { critical: 0, warning: 1, info: 2, positive: 3 };

interface RuleContext {
  current: MetricsSnapshot;
  previous: MetricsSnapshot | undefined;
  t: Thresholds;
  currency: string;
}

type RuleFn = (ctx: RuleContext) => Finding[] | string;

/** A figure tracked for period-over-period changes; every one of these is "higher is better". */
interface TrackedFigure {
  metric: string;
  label: string;
  unit: Unit;
  read: (s: MetricsSnapshot) => number | undefined;
}

const trackedFigures: TrackedFigure[] = [
  { metric: 'revenue.mrr', label: 'MRR', unit: 'money', read: (s) => s.revenue?.mrr },
  { metric: 'revenue.newRevenue', label: 'New MRR', unit: 'money', read: (s) => s.revenue?.newRevenue },
  {
    metric: 'revenue.cashCollected',
    label: 'Cash collected',
    unit: 'money',
    read: (s) => s.revenue?.cashCollected,
  },
  { metric: 'users.new', label: 'New users', unit: 'count', read: (s) => s.users?.new },
  { metric: 'users.active', label: 'Active users', unit: 'count', read: (s) => s.users?.active },
  { metric: 'engagement.dau', label: 'DAU', unit: 'count', read: (s) => s.engagement?.dau },
  { metric: 'engagement.wau', label: 'WAU', unit: 'count', read: (s) => s.engagement?.wau },
  { metric: 'engagement.mau', label: 'MAU', unit: 'count', read: (s) => s.engagement?.mau },
  {
    metric: 'users.activationRate',
    label: 'Activation rate',
    unit: 'ratio',
    read: (s) => s.users?.activationRate,
  },
  {
    metric: 'engagement.stickiness',
    label: 'Stickiness',
    unit: 'ratio',
    read: (s) => s.engagement?.stickiness,
  },
];

const fmt = (ctx: RuleContext, value: number, unit: Unit) => formatValue(value, unit, ctx.currency);

const mrrBelowGoal: RuleFn = (ctx) => {
  const mrr = ctx.current.revenue?.mrr;
  if (mrr === undefined) return 'no MRR in the snapshot';
  if (ctx.t.mrrGoal === 0 || mrr >= ctx.t.mrrGoal) return [];
  const progress = mrr / ctx.t.mrrGoal;
  const gap = ctx.t.mrrGoal - mrr;
  return [
    {
      rule: 'mrr_below_goal',
      severity: progress < 0.5 ? 'critical' : 'warning',
      title: `MRR is ${formatPercent(progress)} of the ${formatMoney(ctx.t.mrrGoal, ctx.currency)} goal (${formatMoney(gap, ctx.currency)} to go)`,
      evidence: [
        {
          metric: 'revenue.mrr',
          label: 'MRR',
          unit: 'money',
          current: mrr,
          previous: ctx.previous?.revenue?.mrr ?? null,
          change: changeOf(mrr, ctx.previous?.revenue?.mrr),
          threshold: ctx.t.mrrGoal,
        },
      ],
      recommendation:
        'Close the gap with the cheapest lever first: convert trialing and free accounts that already use the core feature, then push annual plans and expansion for the most active paying accounts.',
    },
  ];
};

const periodChange: RuleFn = (ctx) => {
  if (!ctx.previous) return 'no previous snapshot';
  const findings: Finding[] = [];
  for (const f of trackedFigures) {
    const current = f.read(ctx.current);
    const previous = f.read(ctx.previous);
    const change = changeOf(current, previous);
    if (!change || current === undefined || previous === undefined) continue;
    if (f.unit === 'count' && Math.max(Math.abs(current), Math.abs(previous)) < ctx.t.minimumBase) continue;
    const evidence: Evidence = {
      metric: f.metric,
      label: f.label,
      unit: f.unit,
      current,
      previous,
      change,
      changeThreshold: ctx.t.changeThreshold,
    };
    if (change.relative === null) {
      if (current === 0) continue;
      findings.push({
        rule: 'period_change',
        severity: 'info',
        title: `${f.label} went from 0 to ${fmt(ctx, current, f.unit)}`,
        evidence: [evidence],
        recommendation: `There is no previous baseline for ${f.label}; watch the next period before drawing conclusions.`,
      });
      continue;
    }
    if (Math.abs(change.relative) < ctx.t.changeThreshold) continue;
    const up = change.relative > 0;
    findings.push({
      rule: 'period_change',
      severity: up ? 'positive' : 'warning',
      title: `${f.label} ${up ? 'rose' : 'fell'} ${formatPercent(Math.abs(change.relative))} (${fmt(ctx, previous, f.unit)} -> ${fmt(ctx, current, f.unit)})`,
      evidence: [evidence],
      recommendation: up
        ? `Find what drove the rise in ${f.label} (campaign, release, seasonality) and repeat it deliberately.`
        : `Find where the drop in ${f.label} comes from: split it by acquisition channel, plan and feature, and check releases and incidents of the period.`,
    });
  }
  return findings;
};

function belowMinimum(
  rule: RuleId,
  metric: string,
  label: string,
  value: number | undefined,
  previous: number | undefined,
  minimum: number,
  recommendation: string,
): Finding[] | string {
  if (value === undefined) return `no ${label.toLowerCase()} in the snapshot`;
  if (value >= minimum) return [];
  return [
    {
      rule,
      severity: 'warning',
      title: `${label} is ${formatPercent(value)}, below the ${formatPercent(minimum, 0)} target`,
      evidence: [
        {
          metric,
          label,
          unit: 'ratio',
          current: value,
          previous: previous ?? null,
          change: changeOf(value, previous),
          threshold: minimum,
        },
      ],
      recommendation,
    },
  ];
}

const activationLow: RuleFn = (ctx) =>
  belowMinimum(
    'activation_low',
    'users.activationRate',
    'Activation rate',
    ctx.current.users?.activationRate,
    ctx.previous?.users?.activationRate,
    ctx.t.activationMin,
    'Shorten the path from signup to the activation event: pre-filled examples, a guided first run, and a reminder email on day 1 and day 3 to users who have not activated.',
  );

const signupToCoreLow: RuleFn = (ctx) =>
  belowMinimum(
    'signup_to_core_action_low',
    'funnel.signupToCoreAction',
    'Signup -> core action conversion',
    ctx.current.funnel?.signupToCoreAction,
    ctx.previous?.funnel?.signupToCoreAction,
    ctx.t.signupToCoreActionMin,
    'Most signups never reach the core action: remove steps before it (setup, verification), make it the first screen, and instrument where new users stop.',
  );

const coreToPaymentLow: RuleFn = (ctx) =>
  belowMinimum(
    'core_action_to_payment_low',
    'funnel.coreActionToPayment',
    'Core action -> payment conversion',
    ctx.current.funnel?.coreActionToPayment,
    ctx.previous?.funnel?.coreActionToPayment,
    ctx.t.coreActionToPaymentMin,
    'Users get value but do not pay: check where the paywall sits, test a usage limit on the free tier, and show pricing at the moment of value.',
  );

const stickinessLow: RuleFn = (ctx) =>
  belowMinimum(
    'stickiness_low',
    'engagement.stickiness',
    'Stickiness (DAU/MAU)',
    ctx.current.engagement?.stickiness,
    ctx.previous?.engagement?.stickiness,
    ctx.t.stickinessMin,
    'Users come back rarely: add a reason to return (notifications on results, scheduled runs, digests) and look at which features the stickiest users use.',
  );

function spike(
  ctx: RuleContext,
  rule: 'churn_spike' | 'contraction_spike',
  key: 'churn' | 'contraction',
  label: string,
  threshold: number,
  recommendation: string,
): Finding[] | string {
  const current = ctx.current.revenue?.movements?.[key];
  if (current === undefined) return 'no MRR movements in the snapshot';
  const previous = ctx.previous?.revenue?.movements?.[key];
  const change = changeOf(current, previous);
  const evidence: Evidence[] = [
    {
      metric: `revenue.movements.${key}`,
      label,
      unit: 'money',
      current,
      previous: previous ?? null,
      change,
      changeThreshold: threshold,
    },
  ];
  let severity: Severity | undefined;
  let title = '';
  if (change?.relative != null && change.relative >= threshold) {
    severity = 'critical';
    title = `${label} rose ${formatPercent(change.relative)} to ${formatMoney(current, ctx.currency)}`;
  } else if (change && change.relative === null && current > 0) {
    severity = 'warning';
    title = `${label} of ${formatMoney(current, ctx.currency)} after none in the previous period`;
  }
  if (rule === 'churn_spike') {
    const gross = ctx.current.revenue?.grossMrrChurn;
    if (gross !== undefined && gross >= ctx.t.grossMrrChurnMax) {
      evidence.push({
        metric: 'revenue.grossMrrChurn',
        label: 'Gross MRR churn',
        unit: 'ratio',
        current: gross,
        previous: ctx.previous?.revenue?.grossMrrChurn ?? null,
        change: changeOf(gross, ctx.previous?.revenue?.grossMrrChurn),
        threshold: ctx.t.grossMrrChurnMax,
      });
      if (!severity)
        title = `Gross MRR churn is ${formatPercent(gross)}, at or above ${formatPercent(ctx.t.grossMrrChurnMax, 0)}`;
      severity = 'critical';
    }
  }
  if (!severity) return [];
  return [{ rule, severity, title, evidence, recommendation }];
}

const churnSpike: RuleFn = (ctx) =>
  spike(
    ctx,
    'churn_spike',
    'churn',
    'Churned MRR',
    ctx.t.churnSpike,
    'Contact the churned accounts of the period for their reason, check for failed payments behind involuntary churn, and offer a pause or downgrade path before cancellation.',
  );

const contractionSpike: RuleFn = (ctx) =>
  spike(
    ctx,
    'contraction_spike',
    'contraction',
    'Contraction MRR',
    ctx.t.contractionSpike,
    'Look at which plans and seats were reduced and why; a price or packaging change, or a competitor, often shows up here first.',
  );

const failedPayments: RuleFn = (ctx) => {
  const n = ctx.current.ledger?.failedPayments;
  if (n === undefined) return 'no failed-payment count in the snapshot';
  if (n <= ctx.t.failedPaymentsMax) return [];
  const evidence: Evidence[] = [
    {
      metric: 'ledger.failedPayments',
      label: 'Failed payments',
      unit: 'count',
      current: n,
      previous: ctx.previous?.ledger?.failedPayments ?? null,
      change: changeOf(n, ctx.previous?.ledger?.failedPayments),
      threshold: ctx.t.failedPaymentsMax,
    },
  ];
  const amount = ctx.current.ledger?.failedPaymentAmount;
  if (amount !== undefined)
    evidence.push({
      metric: 'ledger.failedPaymentAmount',
      label: 'Failed amount',
      unit: 'money',
      current: amount,
    });
  return [
    {
      rule: 'failed_payments',
      severity: 'warning',
      title: `${n} failed payment${n === 1 ? '' : 's'}${amount !== undefined ? ` (${formatMoney(amount, ctx.currency)})` : ''} in the period`,
      evidence,
      recommendation:
        'Turn on Smart Retries and dunning emails in Stripe, ask affected customers to update their card, and check for a common cause (card brand, country, 3-D Secure).',
    },
  ];
};

const deadWebhooks: RuleFn = (ctx) => {
  const n = ctx.current.ledger?.deadWebhooks;
  if (n === undefined) return 'no webhook inbox figures in the snapshot';
  if (n <= ctx.t.deadWebhooksMax) return [];
  return [
    {
      rule: 'dead_webhooks',
      severity: 'critical',
      title: `${n} Stripe webhook event${n === 1 ? ' is' : 's are'} dead: the ledger is missing ${n === 1 ? 'its' : 'their'} changes`,
      evidence: [
        {
          metric: 'ledger.deadWebhooks',
          label: 'Dead webhook events',
          unit: 'count',
          current: n,
          previous: ctx.previous?.ledger?.deadWebhooks ?? null,
          threshold: ctx.t.deadWebhooksMax,
        },
      ],
      recommendation:
        'Inspect them with `org-reports webhooks list --status dead`, fix the cause, then `org-reports webhooks replay --dead`; revenue figures are incomplete until then.',
    },
  ];
};

const rules: Record<RuleId, RuleFn> = {
  mrr_below_goal: mrrBelowGoal,
  period_change: periodChange,
  activation_low: activationLow,
  signup_to_core_action_low: signupToCoreLow,
  core_action_to_payment_low: coreToPaymentLow,
  stickiness_low: stickinessLow,
  churn_spike: churnSpike,
  contraction_spike: contractionSpike,
  failed_payments: failedPayments,
  dead_webhooks: deadWebhooks,
};

/**
 * Runs every rule over the current snapshot and the previous one (same period length).
 * Pure: same inputs, same findings. A rule whose data is missing is listed in `skipped`.
 */
export function evaluateRules(
  current: MetricsSnapshot,
  previous: MetricsSnapshot | undefined,
  thresholds: Thresholds = defaultThresholds,
): RuleOutcome {
  const ctx: RuleContext = { current, previous, t: thresholds, currency: current.currency };
  const findings: Finding[] = [];
  const skipped: RuleOutcome['skipped'] = [];
  for (const id of ruleIds) {
    const result = rules[id](ctx);
    if (typeof result === 'string') skipped.push({ rule: id, reason: result });
    else findings.push(...result);
  }
  const order = (f: Finding) => severityOrder[f.severity] * 100 + ruleIds.indexOf(f.rule);
  findings.sort((a, b) => order(a) - order(b));
  return { findings, skipped };
}
