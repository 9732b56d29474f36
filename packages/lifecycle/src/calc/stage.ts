/** Customer stages and their classification (pure). */
export const stages = ['new', 'activated', 'engaged', 'at_risk', 'dormant', 'paying', 'churned'] as const;
export type Stage = (typeof stages)[number];

export interface StageThresholds {
  /** Score at or above which a user is engaged (and leaves at_risk). Default 60. */
  engagedScore: number;
  /** Score below which an engaged or paying user is at risk. Default 35. */
  atRiskScore: number;
  /** Days without activity after which an engaged or paying user is at risk. Default 14. */
  atRiskInactiveDays: number;
  /** Days without activity after which anyone is dormant. Default 30. */
  dormantInactiveDays: number;
}

export const defaultThresholds: StageThresholds = {
  engagedScore: 60,
  atRiskScore: 35,
  atRiskInactiveDays: 14,
  dormantInactiveDays: 30,
};

export interface StageInput {
  previous: Stage | null;
  score: number;
  daysSinceActive: number | null;
  activated: boolean;
  /** MRR > 0 now (from the ledger). */
  paying: boolean;
  /** Had MRR > 0 at some point before. */
  everPaid: boolean;
}

/**
 * new -> activated -> engaged <-> at_risk -> dormant, with paying / churned from the ledger.
 * First match wins: churned (paid before, MRR 0 now), dormant (inactive N days), at_risk (was
 * engaged/paying/at_risk and score low or inactive; hysteresis until the engaged score), paying,
 * engaged, activated, new.
 */
export function classifyStage(input: StageInput, t: StageThresholds = defaultThresholds): Stage {
  const inactive = input.daysSinceActive ?? Number.POSITIVE_INFINITY;
  if (input.everPaid && !input.paying) return 'churned';
  if (input.daysSinceActive !== null && inactive >= t.dormantInactiveDays) return 'dormant';
  if (input.daysSinceActive === null) return input.paying ? 'paying' : 'new';
  const wasEngaged =
    input.previous === 'engaged' || input.previous === 'paying' || input.previous === 'at_risk';
  if ((wasEngaged || input.paying) && (input.score < t.atRiskScore || inactive >= t.atRiskInactiveDays))
    return 'at_risk';
  if (input.previous === 'at_risk' && input.score < t.engagedScore) return 'at_risk';
  if (input.paying) return 'paying';
  if (input.score >= t.engagedScore || (input.previous === 'engaged' && input.score >= t.atRiskScore))
    return 'engaged';
  if (input.activated) return 'activated';
  return 'new';
}
