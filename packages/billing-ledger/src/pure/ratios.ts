import type { Movements } from './movements.ts';

/**
 * Derived revenue ratios (METRICS.md). Each returns null when its denominator is zero
 * (undefined metric) rather than a misleading 0 or Infinity.
 */
const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

export interface RevenueRatiosInput {
  mrrStart: number;
  mrrEnd: number;
  payingStart: number;
  payingEnd: number;
  churnedCustomers: number;
  movements: Movements;
  /** Length of the period in days, to express churn per month for LTV. */
  periodDays: number;
}

export interface RevenueRatios {
  arpa: number | null;
  customerChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  quickRatio: number | null;
  /** ARPA / monthly customer churn rate (period churn scaled to 30 days). */
  ltv: number | null;
}

export function revenueRatios(x: RevenueRatiosInput): RevenueRatios {
  const m = x.movements;
  const arpa = ratio(x.mrrEnd, x.payingEnd);
  const customerChurnRate = ratio(x.churnedCustomers, x.payingStart);
  const monthlyChurn =
    customerChurnRate === null || x.periodDays <= 0 ? null : (customerChurnRate * 30) / x.periodDays;
  const quickDen = m.churn + m.contraction;
  const quickNum = m.new + m.expansion + m.reactivation;
  return {
    arpa: arpa === null ? null : Math.round(arpa),
    customerChurnRate,
    grossMrrChurnRate: ratio(m.churn + m.contraction, x.mrrStart),
    netMrrChurnRate: ratio(m.churn + m.contraction - m.expansion - m.reactivation, x.mrrStart),
    quickRatio: quickDen === 0 && quickNum === 0 ? null : quickDen === 0 ? null : quickNum / quickDen,
    ltv:
      arpa === null || monthlyChurn === null || monthlyChurn === 0 ? null : Math.round(arpa / monthlyChurn),
  };
}
