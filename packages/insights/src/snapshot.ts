import { z } from 'zod';

/**
 * The figures of one period `[start, end)` that rules, the narrative and the reports read.
 *
 * Every group and every figure is optional: a figure is absent when its source has no data or
 * its query function does not exist in this installation, and the rules skip what is absent
 * instead of guessing. Money is an integer count of minor units in `currency`; ratios are
 * fractions in [0, 1] (not percentages); counts are integers.
 */
const money = z.number().int();
const count = z.number().int().min(0);
const ratio = z.number().min(0);

export const mrrMovementsSchema = z.object({
  new: money.min(0),
  reactivation: money.min(0),
  expansion: money.min(0),
  contraction: money.min(0),
  churn: money.min(0),
});

export const seriesPointSchema = z.object({ date: z.string(), value: z.number() });

export const revenueFiguresSchema = z.object({
  /** MRR as of the period end. */
  mrr: money.optional(),
  arr: money.optional(),
  activeSubscriptions: count.optional(),
  payingCustomers: count.optional(),
  arpa: money.optional(),
  /** MRR from new and reactivated customers during the period. */
  newRevenue: money.optional(),
  movements: mrrMovementsSchema.optional(),
  /** Net cash: succeeded payments minus refunds, by date ("Net cash collected"). */
  cashCollected: money.optional(),
  /** Succeeded payments before refunds ("Cash collected (gross)"). */
  grossCashCollected: money.optional(),
  /** Number of succeeded payments. */
  payments: count.optional(),
  refunds: money.optional(),
  /** ARPA / monthly customer churn rate. */
  ltv: money.optional(),
  customerChurnRate: ratio.optional(),
  grossMrrChurn: ratio.optional(),
  netMrrChurn: z.number().optional(),
  quickRatio: ratio.optional(),
  /** Net / gross revenue retention of the customers paying at the period start. */
  nrr: ratio.optional(),
  grr: ratio.optional(),
  /** MRR at the end of each day of the period, for charts. */
  mrrSeries: z.array(seriesPointSchema).optional(),
});

export const userFiguresSchema = z.object({
  total: count.optional(),
  new: count.optional(),
  active: count.optional(),
  activationRate: ratio.optional(),
});

export const engagementFiguresSchema = z.object({
  dau: count.optional(),
  wau: count.optional(),
  mau: count.optional(),
  /** Mean DAU over the days of the period (the like-for-like comparison of activity). */
  averageDau: z.number().min(0).optional(),
  /** Average DAU over the last 30 days / MAU (the METRICS.md headline). */
  stickiness: ratio.optional(),
  dauOverWau: ratio.optional(),
  dauSeries: z.array(seriesPointSchema).optional(),
});

export const featureUsageSchema = z.object({ feature: z.string(), users: count, events: count });

export const productFiguresSchema = z.object({
  features: z.array(featureUsageSchema).optional(),
  coreAction: z
    .object({
      name: z.string(),
      attempts: count,
      successes: count,
      successRate: ratio.optional(),
    })
    .optional(),
});

export const funnelStepSchema = z.object({
  name: z.string(),
  users: count,
  /** Share of the previous step's users who reached this step (absent on the first step). */
  conversionFromPrevious: ratio.optional(),
  medianSecondsFromPrevious: z.number().min(0).optional(),
});

export const funnelFiguresSchema = z.object({
  steps: z.array(funnelStepSchema),
  windowDays: z.number().int().positive().optional(),
  /** Signup -> the product's core action. */
  signupToCoreAction: ratio.optional(),
  /** Core action -> first payment. */
  coreActionToPayment: ratio.optional(),
});

export const ledgerHealthSchema = z.object({
  failedPayments: count.optional(),
  failedPaymentAmount: money.optional(),
  deadWebhooks: count.optional(),
  pendingWebhooks: count.optional(),
  oldestPendingAgeSeconds: z.number().min(0).optional(),
});

export const metricsSnapshotSchema = z.object({
  /** `[start, end)`; every figure is as of `end` (comparisons: the previous period as of its own end). */
  period: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  currency: z.string().regex(/^[a-z]{3}$/),
  revenue: revenueFiguresSchema.optional(),
  users: userFiguresSchema.optional(),
  engagement: engagementFiguresSchema.optional(),
  product: productFiguresSchema.optional(),
  funnel: funnelFiguresSchema.optional(),
  ledger: ledgerHealthSchema.optional(),
});

export type MrrMovements = z.infer<typeof mrrMovementsSchema>;
export type SeriesPoint = z.infer<typeof seriesPointSchema>;
export type RevenueFigures = z.infer<typeof revenueFiguresSchema>;
export type UserFigures = z.infer<typeof userFiguresSchema>;
export type EngagementFigures = z.infer<typeof engagementFiguresSchema>;
export type FeatureUsage = z.infer<typeof featureUsageSchema>;
export type ProductFigures = z.infer<typeof productFiguresSchema>;
export type FunnelStep = z.infer<typeof funnelStepSchema>;
export type FunnelFigures = z.infer<typeof funnelFiguresSchema>;
export type LedgerHealth = z.infer<typeof ledgerHealthSchema>;
export type MetricsSnapshot = z.infer<typeof metricsSnapshotSchema>;

/** A half-open UTC period `[start, end)`. */
export interface Period {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

/** The `days`-long period ending at `asOf` (exclusive) and the one of the same length before it. */
export function periodsEndingAt(asOf: Date, days: number): { current: Period; previous: Period } {
  if (!Number.isInteger(days) || days <= 0)
    throw new RangeError(`days must be a positive integer, got ${days}`);
  const end = new Date(asOf.getTime());
  const start = new Date(end.getTime() - days * DAY_MS);
  const previousStart = new Date(start.getTime() - days * DAY_MS);
  return { current: { start, end }, previous: { start: previousStart, end: start } };
}
