import { type FigureDefinition, type FigureKey, figure, formatChange } from '../figures.ts';
import { formatDuration, formatMoney, formatPercent, formatValue, type Unit } from '../format.ts';
import type { MetricsSnapshot } from '../snapshot.ts';
import { type Change, changeOf } from './change.ts';
import { defaultThresholds, type Thresholds } from './thresholds.ts';

export type Severity = 'critical' | 'warning' | 'info' | 'positive';

/** In order of precedence within a severity: missing data first, it makes every other figure doubtful. */
export const ruleIds = [
  'data_stale',
  'dead_webhooks',
  'churn_spike',
  'contraction_spike',
  'period_change',
  'mrr_below_goal',
  'activation_low',
  'signup_to_core_action_low',
  'core_action_to_payment_low',
  'stickiness_low',
  'failed_payments',
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
  /** A limit on the change against the previous period (relative, or points for ratios). */
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

export interface EvaluateOptions {
  /**
   * The clock, read by the caller. A period that ends after it is not over: its figures are
   * partial, so only the rules about incoming data run (on the days before `now`).
   */
  now?: Date | undefined;
}

export const severityOrder: Record<Severity, number> = { critical: 0, warning: 1, info: 2, positive: 3 };

interface RuleContext {
  current: MetricsSnapshot;
  previous: MetricsSnapshot | undefined;
  t: Thresholds;
  currency: string;
  now: Date | undefined;
}

type RuleFn = (ctx: RuleContext) => Finding[] | string;

const DAY_MS = 86_400_000;
const fmt = (ctx: RuleContext, value: number, unit: Unit) => formatValue(value, unit, ctx.currency);
const periodDays = (s: MetricsSnapshot) =>
  Math.round((Date.parse(s.period.end) - Date.parse(s.period.start)) / DAY_MS);

/** Evidence for a catalog figure: its label and unit, both periods and the change. */
function evidenceOf(
  f: FigureDefinition,
  ctx: RuleContext,
  extra: Partial<Pick<Evidence, 'threshold' | 'changeThreshold'>> = {},
): Evidence {
  const current = f.read(ctx.current);
  const previous = ctx.previous ? f.read(ctx.previous) : undefined;
  return {
    metric: f.key,
    label: f.label,
    unit: f.unit,
    current: current ?? null,
    previous: previous ?? null,
    change: changeOf(current, previous),
    ...extra,
  };
}

/** MRR at the period start (the previous period's end), the base of money shares; else MRR now. */
function mrrBase(ctx: RuleContext): number | undefined {
  const base = ctx.previous?.revenue?.mrr ?? ctx.current.revenue?.mrr;
  return base !== undefined && base > 0 ? base : undefined;
}

/** All users at the period end (else at its start), the base of user-count shares. */
function userBase(ctx: RuleContext): number | undefined {
  const base = ctx.current.users?.total ?? ctx.previous?.users?.total;
  return base !== undefined && base > 0 ? base : undefined;
}

/** Severity of a loss from its share of the business; without a base, a warning (it cannot be sized). */
function bySharedImpact(share: number | undefined, warning: number, critical: number): Severity {
  if (share === undefined) return 'warning';
  return share >= critical ? 'critical' : share >= warning ? 'warning' : 'info';
}

const shareText = (share: number | undefined, of: string) =>
  share === undefined ? '' : ` (${formatPercent(share)} of ${of})`;

/* --------------------------------------------------------------------------------------------- */

/**
 * Incoming data stopped or stuck: product events that stopped arriving, Stripe events waiting to
 * be processed, a period without any payment after a period with several. Every other figure is
 * doubtful then, so these are critical and come first.
 */
const dataStale: RuleFn = (ctx) => {
  const findings: Finding[] = [];
  const checked: string[] = [];
  const previousActivity =
    (ctx.previous?.engagement?.averageDau ?? 0) > 0 ||
    (ctx.previous?.users?.active ?? 0) > 0 ||
    (ctx.previous?.engagement?.mau ?? 0) > 0;

  const series = ctx.current.engagement?.dauSeries;
  if (series?.length) {
    checked.push('product events');
    // Only days that are over: a period that ends after `now` has no data for its future days.
    const nowDay = ctx.now ? ctx.now.toISOString().slice(0, 10) : undefined;
    const days = nowDay ? series.filter((p) => p.date < nowDay) : series;
    let silent = 0;
    for (let i = days.length - 1; i >= 0 && days[i]!.value === 0; i--) silent++;
    const lastActive = days.length - silent - 1;
    // The activity the silent days should have had: the average DAU before them (this period's
    // days, else the previous period's). Silence is stale data only when it hides at least
    // `minimumBase` user-days; a product with one user a day has quiet days.
    const before = days.slice(0, lastActive + 1);
    const baseline = before.length
      ? before.reduce((n, p) => n + p.value, 0) / before.length
      : (ctx.previous?.engagement?.averageDau ?? (previousActivity ? ctx.t.minimumBase : 0));
    if (silent >= ctx.t.staleAfterDays && baseline * silent >= ctx.t.minimumBase) {
      const since = lastActive >= 0 ? days[lastActive]!.date : null;
      findings.push({
        rule: 'data_stale',
        severity: 'critical',
        title: since
          ? `No product events since ${since}: ${silent} day${silent === 1 ? '' : 's'} without any active user`
          : `No product events in the period (${silent} days without any active user after activity in the previous period)`,
        evidence: [
          evidenceOf(figure('engagement.averageDau'), ctx),
          {
            metric: 'engagement.silentDays',
            label: 'Last days without any event',
            unit: 'count',
            current: silent,
            threshold: ctx.t.staleAfterDays,
          },
        ],
        recommendation:
          'Check the event intake before reading any engagement figure: the ingest endpoint and its API keys, the trackers of the apps (a release may have removed them), the event inbox drain.',
      });
    }
  } else if (ctx.current.engagement?.mau !== undefined) {
    checked.push('product events');
    if (ctx.current.engagement.mau === 0 && (ctx.previous?.engagement?.mau ?? 0) > 0)
      findings.push({
        rule: 'data_stale',
        severity: 'critical',
        title: 'No product events in the 30 days ending with the period after activity before',
        evidence: [evidenceOf(figure('engagement.mau'), ctx)],
        recommendation:
          'Check the event intake before reading any engagement figure: the ingest endpoint and its API keys, the trackers of the apps, the event inbox drain.',
      });
  }

  const age = ctx.current.ledger?.oldestPendingAgeSeconds;
  if (ctx.current.ledger?.pendingWebhooks !== undefined) checked.push('Stripe webhooks');
  if (age !== undefined && age >= ctx.t.staleWebhookSeconds) {
    findings.push({
      rule: 'data_stale',
      severity: 'critical',
      title: `Stripe events have waited ${formatDuration(age)} to be processed: revenue figures are behind`,
      evidence: [
        evidenceOf(figure('ledger.oldestPendingAgeSeconds'), ctx, { threshold: ctx.t.staleWebhookSeconds }),
        evidenceOf(figure('ledger.pendingWebhooks'), ctx),
      ],
      recommendation:
        'Check that a ledger worker runs (the webhook app with LEDGER_WORKER=on, or "org-reports worker") and read its errors with "org-reports webhooks list".',
    });
  }

  const payments = ctx.current.revenue?.payments;
  const before = ctx.previous?.revenue?.payments;
  if (payments !== undefined) checked.push('payments');
  if (payments === 0 && before !== undefined && before >= ctx.t.stalePaymentsBase) {
    findings.push({
      rule: 'data_stale',
      severity: 'critical',
      title: `No payment recorded in the period after ${before} in the previous one: Stripe events may not be arriving`,
      evidence: [evidenceOf(figure('revenue.payments'), ctx, { threshold: ctx.t.stalePaymentsBase })],
      recommendation:
        'Check the Stripe webhook endpoint (Dashboard > Developers > Webhooks: failed deliveries, a rotated signing secret) and recover missed events with "org-reports backfill events".',
    });
  }
  if (checked.length === 0)
    return 'no product activity series, webhook inbox or payment count in the snapshot';
  return findings;
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
      evidence: [evidenceOf(figure('ledger.deadWebhooks'), ctx, { threshold: ctx.t.deadWebhooksMax })],
      recommendation:
        'Inspect them with "org-reports webhooks list --status dead", fix the cause, then "org-reports webhooks replay --dead"; revenue figures are incomplete until then.',
    },
  ];
};

/** Churned or contracted MRR: a spike against the previous period, sized by its share of MRR. */
function spike(
  ctx: RuleContext,
  rule: 'churn_spike' | 'contraction_spike',
  key: 'revenue.movements.churn' | 'revenue.movements.contraction',
  threshold: number,
  recommendation: string,
): Finding[] | string {
  const f = figure(key);
  const current = f.read(ctx.current);
  if (current === undefined) return 'no MRR movements in the snapshot';
  const previous = ctx.previous ? f.read(ctx.previous) : undefined;
  const change = changeOf(current, previous);
  const base = mrrBase(ctx);
  const share = base === undefined ? undefined : current / base;
  const evidence: Evidence[] = [evidenceOf(f, ctx, { changeThreshold: threshold })];
  let title: string | undefined;
  if (change?.relative != null && change.relative >= threshold && current > 0)
    title = `${f.label} rose ${formatPercent(change.relative)} to ${formatMoney(current, ctx.currency)}${shareText(share, 'MRR')}`;
  else if (change && change.relative === null && current > 0)
    title = `${f.label} of ${formatMoney(current, ctx.currency)}${shareText(share, 'MRR')} after none in the previous period`;
  let severity: Severity | undefined = title
    ? bySharedImpact(share, ctx.t.mrrShareWarning, ctx.t.mrrShareCritical)
    : undefined;
  if (rule === 'churn_spike') {
    const gross = ctx.current.revenue?.grossMrrChurn;
    if (gross !== undefined && gross >= ctx.t.grossMrrChurnMax) {
      evidence.push(evidenceOf(figure('revenue.grossMrrChurn'), ctx, { threshold: ctx.t.grossMrrChurnMax }));
      title ??= `Gross MRR churn rate is ${formatPercent(gross)}, at or above ${formatPercent(ctx.t.grossMrrChurnMax, 0)}`;
      severity = 'critical';
    }
  }
  if (!severity || !title) return [];
  return [{ rule, severity, title, evidence, recommendation }];
}

const churnSpike: RuleFn = (ctx) =>
  spike(
    ctx,
    'churn_spike',
    'revenue.movements.churn',
    ctx.t.churnSpike,
    'Contact the churned accounts of the period for their reason, check for failed payments behind involuntary churn, and offer a pause or downgrade path before cancellation.',
  );

const contractionSpike: RuleFn = (ctx) =>
  spike(
    ctx,
    'contraction_spike',
    'revenue.movements.contraction',
    ctx.t.contractionSpike,
    'Look at which plans and seats were reduced and why; a price or packaging change, or a competitor, often shows up here first.',
  );

/**
 * Figures compared period over period, like for like: levels at each period's end, totals and
 * averages over periods of the same length. A single day (DAU of the last day) is not compared:
 * a Saturday against a Thursday says nothing.
 */
const trackedFigures: FigureKey[] = [
  'revenue.mrr',
  'revenue.newRevenue',
  'revenue.cashCollected',
  'users.new',
  'users.active',
  'engagement.averageDau',
  'engagement.wau',
  'engagement.mau',
  'users.activationRate',
  'engagement.stickiness',
];

const periodChange: RuleFn = (ctx) => {
  if (!ctx.previous) return 'no previous snapshot';
  if (periodDays(ctx.previous) !== periodDays(ctx.current))
    return `the previous period is ${periodDays(ctx.previous)} days long, the current one ${periodDays(ctx.current)}: not comparable`;
  const findings: Finding[] = [];
  for (const key of trackedFigures) {
    const f = figure(key);
    if (f.change === 'none') continue;
    const current = f.read(ctx.current);
    const previous = f.read(ctx.previous);
    const change = changeOf(current, previous);
    if (!change || current === undefined || previous === undefined) continue;
    const points = f.change === 'points';
    if (!points && Math.max(Math.abs(current), Math.abs(previous)) < ctx.t.minimumBase) continue;
    const evidence = evidenceOf(f, ctx, {
      changeThreshold: points ? ctx.t.pointsThreshold : ctx.t.changeThreshold,
    });
    const shown = formatChange(change, f.change, f.unit, ctx.currency).text;
    if (!points && change.relative === null) {
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
    const size = points ? Math.abs(change.absolute) : Math.abs(change.relative!);
    if (size < (points ? ctx.t.pointsThreshold : ctx.t.changeThreshold)) continue;
    const up = change.absolute > 0;
    const good = up === (f.better === 'up');
    // The impact of a move: money as a share of MRR, user counts as a share of all users.
    let share: number | undefined;
    let severity: Severity;
    if (points) severity = 'warning';
    else if (f.unit === 'money') {
      const base = mrrBase(ctx);
      share = base === undefined ? undefined : Math.abs(change.absolute) / base;
      severity = bySharedImpact(share, ctx.t.mrrShareWarning, ctx.t.mrrShareCritical);
    } else {
      const base = userBase(ctx);
      share = base === undefined ? undefined : Math.abs(change.absolute) / base;
      severity = bySharedImpact(share, ctx.t.userShareWarning, ctx.t.userShareCritical);
    }
    findings.push({
      rule: 'period_change',
      severity: good ? 'positive' : severity,
      title: `${f.label} ${up ? 'rose' : 'fell'} ${shown.replace(/^[+-]/, '')} (${fmt(ctx, previous, f.unit)} -> ${fmt(ctx, current, f.unit)}${share === undefined ? '' : `, ${formatPercent(share)} of ${f.unit === 'money' ? 'MRR' : 'all users'}`})`,
      evidence: [evidence],
      recommendation: good
        ? `Find what drove the change in ${f.label} (campaign, release, seasonality) and repeat it deliberately.`
        : `Find where the change in ${f.label} comes from: split it by acquisition channel, plan and feature, and check releases and incidents of the period.`,
    });
  }
  return findings;
};

const mrrBelowGoal: RuleFn = (ctx) => {
  const goal = ctx.t.mrrGoal;
  // Without a goal the rule does not apply: nothing to report, not even that it was skipped.
  if (goal === undefined) return [];
  const mrr = ctx.current.revenue?.mrr;
  if (mrr === undefined) return 'no MRR in the snapshot';
  if (mrr >= goal) return [];
  const progress = mrr / goal;
  return [
    {
      rule: 'mrr_below_goal',
      severity: progress < 0.5 ? 'warning' : 'info',
      title: `MRR is ${formatPercent(progress)} of the ${formatMoney(goal, ctx.currency)} goal (${formatMoney(goal - mrr, ctx.currency)} to go)`,
      evidence: [evidenceOf(figure('revenue.mrr'), ctx, { threshold: goal })],
      recommendation:
        'Close the gap with the cheapest lever first: convert trialing and free accounts that already use the core feature, then push annual plans and expansion for the most active paying accounts.',
    },
  ];
};

function belowMinimum(
  ctx: RuleContext,
  rule: RuleId,
  key: FigureKey,
  minimum: number,
  base: { count: number | undefined; what: string },
  recommendation: string,
): Finding[] | string {
  const f = figure(key);
  const value = f.read(ctx.current);
  if (value === undefined) return `no ${f.label} in the snapshot`;
  if (base.count !== undefined && base.count < ctx.t.minimumBase)
    return `too few ${base.what} (${base.count}) to judge ${f.label}`;
  if (value >= minimum) return [];
  return [
    {
      rule,
      severity: 'warning',
      title: `${f.label} is ${formatPercent(value)}, below the ${formatPercent(minimum, 0)} target`,
      evidence: [evidenceOf(f, ctx, { threshold: minimum })],
      recommendation,
    },
  ];
}

const activationLow: RuleFn = (ctx) =>
  belowMinimum(
    ctx,
    'activation_low',
    'users.activationRate',
    ctx.t.activationMin,
    { count: ctx.current.users?.new, what: 'new users' },
    'Shorten the path from signup to the activation event: pre-filled examples, a guided first run, and a reminder email on day 1 and day 3 to users who have not activated.',
  );

const signupToCoreLow: RuleFn = (ctx) =>
  belowMinimum(
    ctx,
    'signup_to_core_action_low',
    'funnel.signupToCoreAction',
    ctx.t.signupToCoreActionMin,
    { count: ctx.current.funnel?.steps[0]?.users, what: 'users entering the funnel' },
    'Most signups never reach the core action: remove steps before it (setup, verification), make it the first screen, and instrument where new users stop.',
  );

const coreToPaymentLow: RuleFn = (ctx) =>
  belowMinimum(
    ctx,
    'core_action_to_payment_low',
    'funnel.coreActionToPayment',
    ctx.t.coreActionToPaymentMin,
    { count: ctx.current.funnel?.steps[1]?.users, what: 'users reaching the core action' },
    'Users get value but do not pay: check where the paywall sits, test a usage limit on the free tier, and show pricing at the moment of value.',
  );

const stickinessLow: RuleFn = (ctx) =>
  belowMinimum(
    ctx,
    'stickiness_low',
    'engagement.stickiness',
    ctx.t.stickinessMin,
    { count: ctx.current.engagement?.mau, what: 'monthly active users' },
    'Users come back rarely: add a reason to return (notifications on results, scheduled runs, digests) and look at which features the stickiest users use.',
  );

const failedPayments: RuleFn = (ctx) => {
  const n = ctx.current.ledger?.failedPayments;
  if (n === undefined) return 'no failed-payment count in the snapshot';
  if (n <= ctx.t.failedPaymentsMax) return [];
  const evidence: Evidence[] = [
    evidenceOf(figure('ledger.failedPayments'), ctx, { threshold: ctx.t.failedPaymentsMax }),
  ];
  const amount = ctx.current.ledger?.failedPaymentAmount;
  if (amount !== undefined) evidence.push(evidenceOf(figure('ledger.failedPaymentAmount'), ctx));
  const paying = ctx.current.revenue?.payingCustomers;
  const share = paying ? n / paying : undefined;
  const severity: Severity =
    share === undefined || share >= ctx.t.failedPaymentsShareWarning ? 'warning' : 'info';
  return [
    {
      rule: 'failed_payments',
      severity,
      title: `${n} failed payment${n === 1 ? '' : 's'}${amount !== undefined ? ` (${formatMoney(amount, ctx.currency)})` : ''} in the period${share === undefined ? '' : `, ${formatPercent(share)} of paying customers`}`,
      evidence,
      recommendation:
        'Turn on Smart Retries and dunning emails in Stripe, ask affected customers to update their card, and check for a common cause (card brand, country, 3-D Secure).',
    },
  ];
};

const rules: Record<RuleId, RuleFn> = {
  data_stale: dataStale,
  dead_webhooks: deadWebhooks,
  churn_spike: churnSpike,
  contraction_spike: contractionSpike,
  period_change: periodChange,
  mrr_below_goal: mrrBelowGoal,
  activation_low: activationLow,
  signup_to_core_action_low: signupToCoreLow,
  core_action_to_payment_low: coreToPaymentLow,
  stickiness_low: stickinessLow,
  failed_payments: failedPayments,
};

/** Rules about incoming data: they also run on a period that is not over (on its past days). */
const dataRules = new Set<RuleId>(['data_stale', 'dead_webhooks']);

/**
 * Runs every rule over the current snapshot and the previous one (same period length).
 * Pure: same inputs, same findings. A rule whose data is missing is listed in `skipped`; so is
 * every figure rule when the period is not over at `now` (partial figures raise false alarms).
 */
export function evaluateRules(
  current: MetricsSnapshot,
  previous: MetricsSnapshot | undefined,
  thresholds: Thresholds = defaultThresholds,
  options: EvaluateOptions = {},
): RuleOutcome {
  const ctx: RuleContext = { current, previous, t: thresholds, currency: current.currency, now: options.now };
  const incomplete = options.now !== undefined && options.now.getTime() < Date.parse(current.period.end);
  const findings: Finding[] = [];
  const skipped: RuleOutcome['skipped'] = [];
  for (const id of ruleIds) {
    if (incomplete && !dataRules.has(id)) {
      skipped.push({
        rule: id,
        reason: `the period is not over (it ends ${current.period.end}, figures read at ${options.now!.toISOString()})`,
      });
      continue;
    }
    const result = rules[id](ctx);
    if (typeof result === 'string') skipped.push({ rule: id, reason: result });
    else findings.push(...result);
  }
  const order = (f: Finding) => severityOrder[f.severity] * 100 + ruleIds.indexOf(f.rule);
  findings.sort((a, b) => order(a) - order(b));
  return { findings, skipped };
}
