/** Engagement score of METRICS.md (pure). */
export interface EngagementInput {
  /** Whole days since the last active day; null if never active. */
  daysSinceActive: number | null;
  activeDaysIn28: number;
  distinctFeaturesIn28: number;
}

export interface ScoreWeights {
  recency: number;
  frequency: number;
  breadth: number;
  /** Days for recency to fall to 1/e (default 7). */
  recencyDays: number;
  /** Active days in 28 that count as full frequency (default 20). */
  fullFrequencyDays: number;
  /** Distinct features in 28 days that count as full breadth (default 5). */
  fullBreadthFeatures: number;
}

export const defaultWeights: ScoreWeights = {
  recency: 0.4,
  frequency: 0.4,
  breadth: 0.2,
  recencyDays: 7,
  fullFrequencyDays: 20,
  fullBreadthFeatures: 5,
};

/** `100 x (w_r recency + w_f frequency + w_b breadth)`, rounded to 2 decimals, in [0, 100]. */
export function engagementScore(input: EngagementInput, weights: ScoreWeights = defaultWeights): number {
  const recency =
    input.daysSinceActive === null ? 0 : Math.exp(-Math.max(0, input.daysSinceActive) / weights.recencyDays);
  const frequency = Math.min(1, input.activeDaysIn28 / weights.fullFrequencyDays);
  const breadth = Math.min(1, input.distinctFeaturesIn28 / weights.fullBreadthFeatures);
  const total = weights.recency + weights.frequency + weights.breadth;
  const raw =
    (100 * (weights.recency * recency + weights.frequency * frequency + weights.breadth * breadth)) /
    (total > 0 ? total : 1);
  return Math.round(Math.min(100, Math.max(0, raw)) * 100) / 100;
}
