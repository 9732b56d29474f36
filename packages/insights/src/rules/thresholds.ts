import { z } from 'zod';

const fraction = z.number().min(0).max(1);

/**
 * Thresholds of the rule engine. Every field has a default, so `parseThresholds({})` gives the
 * standard set; ratios are fractions (0.5 = 50%), money is minor units.
 */
export const thresholdsSchema = z.object({
  /** MRR goal in minor units of the report currency. */
  mrrGoal: z.number().int().min(0).default(50_000),
  /** A period-over-period change at or beyond this fraction (either way) is reported. */
  changeThreshold: z.number().positive().default(0.2),
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
  /** More failed payments than this in the period raises an alert. */
  failedPaymentsMax: z.number().int().min(0).default(0),
  /** More dead webhook events than this raises a critical alert. */
  deadWebhooksMax: z.number().int().min(0).default(0),
});

export type Thresholds = z.infer<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;

export const defaultThresholds: Thresholds = thresholdsSchema.parse({});

export function parseThresholds(input: ThresholdsInput = {}): Thresholds {
  return thresholdsSchema.parse(input);
}
