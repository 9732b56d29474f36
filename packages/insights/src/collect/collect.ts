import { inboxStats, mrrSeries, revenueSummary } from '@org/billing-ledger';
import type { Pool } from '@org/db';
import {
  activationRate,
  activeUsersSeries,
  coreActionSuccessRate,
  enrichmentCoreAction,
  featureUsage,
  funnel,
  stickiness,
  userCounts,
} from '@org/metrics';
import type { MetricChoice } from '../report/model.ts';
import type { MetricsSnapshot, Period } from '../snapshot.ts';
import { limiter } from './limit.ts';

/**
 * Fills a MetricsSnapshot from the query functions of the domain packages. Nothing is computed
 * here: each figure is read from the package that owns it (METRICS.md), and a figure without a
 * query function in this installation stays absent and is listed in `unavailable`.
 */
export interface CollectOptions {
  /** Reporting currency (lower-case ISO code). */
  currency: string;
  /** Narrow product metrics to one app (default: all apps). */
  app?: string | undefined;
  /** The conversion funnel: signup -> core action -> payment (event names). */
  funnel?: { signup: string; coreAction: string; payment: string } | undefined;
  /** The core action's completed/failed events, for its success rate. */
  coreAction?: { completed: string; failed: string } | undefined;
  /** Activation event (default `defaultActivation.event`: the core action's completed event). */
  activationEvent?: string | undefined;
  /** Event category counted as feature usage (default `feature`). */
  featureCategory?: string | undefined;
  /** Funnel conversion window in days (default 14). */
  funnelWindowDays?: number | undefined;
  /** Read the webhook inbox (its state now, not at `period.end`): true for the current period only. */
  includeInbox?: boolean | undefined;
  /**
   * The groups to collect (default: all). A caller that shows a few figures (the dashboard's
   * overview) skips the queries of the others; the figures it collects are the same.
   */
  sections?: readonly CollectSection[] | undefined;
  /**
   * Sources queried at once (default 3; stickiness uses two connections): two collections side by
   * side (a period and the one before) stay within a pool of 10 connections instead of waiting for
   * one, which under load can outlast the pool's connection timeout.
   */
  concurrency?: number | undefined;
}

/**
 * Groups of a snapshot, each with its own queries; `series` are the MRR and DAU series (asked for
 * alone, the snapshot holds only them: a page can stream its charts apart from its figures).
 */
export type CollectSection = 'revenue' | 'users' | 'engagement' | 'series' | 'product' | 'funnel';
export const collectSections: readonly CollectSection[] = [
  'revenue',
  'users',
  'engagement',
  'series',
  'product',
  'funnel',
];

export interface CollectResult {
  snapshot: MetricsSnapshot;
  unavailable: string[];
}

/**
 * The default conversion funnel (signup -> core action -> payment), the same everywhere: the
 * growth report, the dashboard's Overview and Engagement pages, `org-reports kpis`.
 */
export const defaultFunnel = {
  signup: 'user_signed_up',
  coreAction: enrichmentCoreAction.completed,
  payment: 'checkout_completed',
} as const;

/** `defaultFunnel` as the ordered steps `funnel()` of @org/metrics takes. */
export const defaultFunnelSteps: readonly string[] = [
  defaultFunnel.signup,
  defaultFunnel.coreAction,
  defaultFunnel.payment,
];

/** Funnel conversion window (METRICS.md default). */
export const defaultFunnelWindowDays = 14;

/**
 * The activation rate's definition (METRICS.md: the first core-feature event within 7 days of
 * signup): the product's core action, the same number on the dashboard, in the report and in
 * `org-reports kpis`. `activationRate(pool, { ...period, activation: { event }, windowDays, asOf })`.
 */
export const defaultActivation = { event: enrichmentCoreAction.activation, windowDays: 7 } as const;

/** Figures no package records yet; listed as missing, never computed here. */
export const notYetQueryable: string[] = [
  'Ledger health: failed payment amount (not recorded by the ledger)',
];

const MISSING_RELATION = new Set(['42P01', '42883', '3F000']);

/** Runs a source; a missing table or function (package not migrated) becomes an "unavailable" note. */
async function optional<T>(
  label: string,
  unavailable: string[],
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && MISSING_RELATION.has(code)) {
      unavailable.push(`${label} (its tables are not migrated: ${(error as Error).message})`);
      return undefined;
    }
    throw error;
  }
}

const DAY_MS = 86_400_000;

export async function collectSnapshot(
  pool: Pool,
  period: Period,
  options: CollectOptions,
): Promise<CollectResult> {
  const unavailable: string[] = [...notYetQueryable];
  const days = Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS);
  const scope = { app: options.app, from: period.start, to: period.end };
  const steps = options.funnel ?? defaultFunnel;
  const core = options.coreAction ?? {
    completed: enrichmentCoreAction.completed,
    failed: enrichmentCoreAction.failed,
  };
  const windowDays = options.funnelWindowDays ?? defaultFunnelWindowDays;

  const want = new Set(options.sections ?? collectSections);
  const gate = limiter(Math.max(1, options.concurrency ?? 3));
  const source = <T>(label: string, run: () => Promise<T>) => optional(label, unavailable, () => gate(run));
  const skip = Promise.resolve(undefined);
  const revenueRange = { from: period.start, to: period.end, currency: options.currency, asOf: period.end };
  // Every source at once (they are independent). DAU/WAU/MAU come with the stickiness figures
  // (@org/metrics computes them there), so they are not queried twice.
  const [stick, series, counts, activation, success, features, funnelSteps, inbox, revenue, mrrDaily] =
    await Promise.all([
      want.has('engagement') || want.has('users')
        ? source('Engagement: DAU/WAU/MAU and stickiness', () =>
            stickiness(pool, { app: options.app, asOf: period.end, distribution: false }),
          )
        : skip,
      // The series also gives the period's average DAU (engagement), so it is read for either.
      want.has('series') || want.has('engagement')
        ? source('Engagement: DAU series', () => activeUsersSeries(pool, scope))
        : skip,
      want.has('users') ? source('Users: total and new', () => userCounts(pool, scope)) : skip,
      want.has('users')
        ? source('Users: activation rate', () =>
            activationRate(pool, {
              ...scope,
              activation: { event: options.activationEvent ?? defaultActivation.event },
              windowDays: defaultActivation.windowDays,
              asOf: period.end,
            }),
          )
        : skip,
      want.has('product')
        ? source('Product: core action success rate', () =>
            coreActionSuccessRate(pool, { ...scope, ...core }),
          )
        : skip,
      want.has('product')
        ? source('Product: feature usage', () =>
            featureUsage(pool, {
              ...scope,
              ...(options.featureCategory ? { category: options.featureCategory } : {}),
            }),
          )
        : skip,
      want.has('funnel')
        ? source('Conversion funnel', () =>
            funnel(pool, {
              ...scope,
              steps: [steps.signup, steps.coreAction, steps.payment],
              windowDays,
              asOf: period.end,
            }),
          )
        : skip,
      options.includeInbox
        ? source('Ledger health: webhook inbox', () => inboxStats(pool, { asOf: period.end }))
        : skip,
      want.has('revenue') ? source('Revenue', () => revenueSummary(pool, revenueRange)) : skip,
      want.has('series')
        ? source('Revenue: MRR by day', () => mrrSeries(pool, { ...revenueRange, interval: 'day' }))
        : skip,
    ]);
  const active = want.has('engagement') || want.has('users') ? stick : undefined;

  // "Active users" of the period is the distinct-user count @org/metrics defines for that length.
  const periodActive = days === 7 ? active?.wau : days === 30 ? active?.mau : undefined;
  if (active && periodActive === undefined)
    unavailable.push(`Users: active users over ${days} days (counted for 7- and 30-day periods)`);

  const snapshot: MetricsSnapshot = {
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    currency: options.currency,
  };
  const mrrSeriesPoints = mrrDaily?.length
    ? mrrDaily.map((p) => ({ date: new Date(Date.parse(p.at) - 1).toISOString().slice(0, 10), value: p.mrr }))
    : undefined;
  if (revenue) {
    const m = revenue.movements;
    snapshot.revenue = {
      mrr: revenue.mrr,
      arr: revenue.arr,
      activeSubscriptions: revenue.activeSubscriptions,
      payingCustomers: revenue.payingCustomers,
      ...(revenue.arpa !== null ? { arpa: revenue.arpa } : {}),
      // "New MRR" of the report: the new and reactivation movements as @org/billing-ledger classifies them.
      newRevenue: m.new + m.reactivation,
      movements: {
        new: m.new,
        reactivation: m.reactivation,
        expansion: m.expansion,
        contraction: m.contraction,
        churn: m.churn,
      },
      cashCollected: revenue.cash.net,
      grossCashCollected: revenue.cash.collected,
      payments: revenue.cash.payments,
      refunds: revenue.cash.refunds,
      ...(revenue.ltv !== null ? { ltv: revenue.ltv } : {}),
      ...(revenue.customerChurnRate !== null ? { customerChurnRate: revenue.customerChurnRate } : {}),
      ...(revenue.grossMrrChurnRate !== null ? { grossMrrChurn: revenue.grossMrrChurnRate } : {}),
      ...(revenue.netMrrChurnRate !== null ? { netMrrChurn: revenue.netMrrChurnRate } : {}),
      ...(revenue.quickRatio !== null ? { quickRatio: revenue.quickRatio } : {}),
      ...(revenue.nrr !== null ? { nrr: revenue.nrr } : {}),
      ...(revenue.grr !== null ? { grr: revenue.grr } : {}),
      ...(mrrSeriesPoints ? { mrrSeries: mrrSeriesPoints } : {}),
    };
  } else if (mrrSeriesPoints) {
    snapshot.revenue = { mrrSeries: mrrSeriesPoints };
  }
  if (want.has('users') && (counts || activation || periodActive !== undefined)) {
    snapshot.users = {
      ...(counts ? { total: counts.total, new: counts.new } : {}),
      ...(periodActive !== undefined ? { active: periodActive } : {}),
      ...(activation?.rate != null ? { activationRate: activation.rate } : {}),
    };
  }
  const averageDau =
    want.has('engagement') && series?.length
      ? Math.round((series.reduce((n, d) => n + d.dau, 0) / series.length) * 100) / 100
      : undefined;
  const dauSeries = want.has('series') && series?.length ? series : undefined;
  if ((want.has('engagement') && (active || stick || series)) || dauSeries) {
    snapshot.engagement = {
      ...(want.has('engagement') && active ? { dau: active.dau, wau: active.wau, mau: active.mau } : {}),
      ...(averageDau !== undefined ? { averageDau } : {}),
      ...(want.has('engagement') && stick?.dauOverMau != null ? { stickiness: stick.dauOverMau } : {}),
      ...(want.has('engagement') && stick?.dauOverWau != null ? { dauOverWau: stick.dauOverWau } : {}),
      ...(dauSeries ? { dauSeries: dauSeries.map((d) => ({ date: d.day, value: d.dau })) } : {}),
    };
  }
  if (success || features) {
    snapshot.product = {
      ...(features
        ? { features: features.map((f) => ({ feature: f.name, users: f.users, events: f.events })) }
        : {}),
      ...(success
        ? {
            coreAction: {
              name: core.completed,
              attempts: success.completed + success.failed,
              successes: success.completed,
              ...(success.rate !== null ? { successRate: success.rate } : {}),
            },
          }
        : {}),
    };
  }
  if (funnelSteps) {
    const [, toCore, toPayment] = funnelSteps;
    snapshot.funnel = {
      windowDays,
      steps: funnelSteps.map((s, i) => ({
        name: s.name,
        users: s.users,
        ...(i > 0 && s.conversionFromPrevious !== null
          ? { conversionFromPrevious: s.conversionFromPrevious }
          : {}),
        ...(s.medianSecondsFromPrevious !== null
          ? { medianSecondsFromPrevious: s.medianSecondsFromPrevious }
          : {}),
      })),
      ...(toCore?.conversionFromPrevious != null
        ? { signupToCoreAction: toCore.conversionFromPrevious }
        : {}),
      ...(toPayment?.conversionFromPrevious != null
        ? { coreActionToPayment: toPayment.conversionFromPrevious }
        : {}),
    };
  }
  if (inbox || revenue) {
    snapshot.ledger = {
      ...(revenue ? { failedPayments: revenue.failedPayments } : {}),
      ...(inbox ? { deadWebhooks: inbox.dead, pendingWebhooks: inbox.pending + inbox.failed } : {}),
      ...(inbox?.oldestPendingAgeSeconds != null
        ? { oldestPendingAgeSeconds: inbox.oldestPendingAgeSeconds }
        : {}),
    };
  }
  return { snapshot, unavailable };
}

/** The metric choices a collected report used, for the report's "choices" block. */
export function collectedMetricChoices(options: CollectOptions, base: MetricChoice[]): MetricChoice[] {
  const steps = options.funnel ?? defaultFunnel;
  const core = options.coreAction ?? {
    completed: enrichmentCoreAction.completed,
    failed: enrichmentCoreAction.failed,
  };
  const replace: Record<string, string> = {
    Activation: `${options.activationEvent ?? defaultActivation.event} within ${defaultActivation.windowDays} days of signup`,
    Funnel: `${steps.signup} → ${steps.coreAction} → ${steps.payment}, ${options.funnelWindowDays ?? defaultFunnelWindowDays}-day conversion window from step 1`,
  };
  return [
    ...base.map((c) => (replace[c.name] ? { name: c.name, value: replace[c.name]! } : c)),
    { name: 'Core action', value: `${core.completed} vs ${core.failed}` },
    { name: 'Feature usage', value: `events of category ${options.featureCategory ?? 'feature'}` },
    { name: 'Currency', value: options.currency.toUpperCase() },
    { name: 'Scope', value: options.app ? `app ${options.app}` : 'all apps' },
    { name: 'Webhook inbox', value: 'state when the report ran (current period only)' },
  ];
}
