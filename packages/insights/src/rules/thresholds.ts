import { z } from 'zod';

const fraction = z.number().min(0).max(1);

/**
 * Thresholds of the rule engine. Every field but the goal has a default, so `parseThresholds({})`
 * gives the standard set; ratios are fractions (0.5 = 50%), money is minor units.
 */
export const thresholdsSchema = z.object({
  /**
   * MRR goal in minor units of the report currency; unset (the default): no goal, no goal
   * finding. `generateGrowthReport` takes it in major units (`mrrGoal: 50000` = $50,000.00).
   */
  mrrGoal: z.number().int().positive().optional(),
  /** A relative change of a count or amount at or beyond this fraction (either way) is reported. */
  changeThreshold: z.number().positive().default(0.2),
  /** A change of a ratio (activation, stickiness) of at least this many points (0.05 = 5 pp) is reported. */
  pointsThreshold: fraction.default(0.05),
  /** Figures whose previous and current values are both below this are too small to call a trend. */
  minimumBase: z.number().min(0).default(10),
  activationMin: fraction.default(0.5),
  signupToCoreActionMin: fraction.default(0.5),
  coreActionToPaymentMin: fraction.default(0.1),
  stickinessMin: fraction.default(0.15),
  /** Churned MRR growing by this fraction or more over the previous period is a spike. */
  churnSpike: z.number().positive().default(0.5),
  /** Contracted MRR growing by this fraction or more over the previous period is a spike. */
  contractionSpike: z.number().positive().default(0.5),
  /** Gross MRR churn of the period at or above this is critical whatever the previous period was. */
  grossMrrChurnMax: fraction.default(0.05),
  /**
   * Business impact of a money finding, as a share of MRR at the period start: below the first it
   * is info, from it a warning, from the second critical.
   */
  mrrShareWarning: fraction.default(0.02),
  mrrShareCritical: fraction.default(0.05),
  /** The same for a change in user counts, as a share of all users. */
  userShareWarning: fraction.default(0.05),
  userShareCritical: fraction.default(0.2),
  /** More failed payments than this in the period is reported ... */
  failedPaymentsMax: z.number().int().min(0).default(0),
  /** ... as a warning from this share of paying customers (info below). */
  failedPaymentsShareWarning: fraction.default(0.05),
  /** More dead webhook events than this raises a critical alert. */
  deadWebhooksMax: z.number().int().min(0).default(0),
  /** Product data is stale when no event arrived on this many last days of a period (after activity). */
  staleAfterDays: z.number().int().positive().default(2),
  /** Stripe data is stale when an event has waited this long (seconds) to be processed. */
  staleWebhookSeconds: z.number().positive().default(3_600),
  /** Stripe data is missing when a period has no payment after at least this many in the previous one. */
  stalePaymentsBase: z.number().int().positive().default(5),
});

export type Thresholds = z.infer<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;

export const defaultThresholds: Thresholds = thresholdsSchema.parse({});

export function parseThresholds(input: ThresholdsInput = {}): Thresholds {
  return thresholdsSchema.parse(input);
}
