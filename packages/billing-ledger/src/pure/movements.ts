/**
 * MRR movements (METRICS.md): per customer per UTC day, from the customer's MRR at the end of
 * the previous day (`prev`) to the end of the day (`now`).
 */
export type MovementKind = 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churn';

export interface Movements {
  new: number;
  reactivation: number;
  expansion: number;
  contraction: number;
  churn: number;
}

export const zeroMovements = (): Movements => ({
  new: 0,
  reactivation: 0,
  expansion: 0,
  contraction: 0,
  churn: 0,
});

/** The movement of one customer-day, or null when MRR did not change. */
export function classifyMovement(
  prev: number,
  now: number,
  paidBefore: boolean,
): { kind: MovementKind; amount: number } | null {
  if (prev === now) return null;
  if (prev === 0) return { kind: paidBefore ? 'reactivation' : 'new', amount: now };
  if (now === 0) return { kind: 'churn', amount: prev };
  return now > prev ? { kind: 'expansion', amount: now - prev } : { kind: 'contraction', amount: prev - now };
}

/** new + reactivation + expansion - contraction - churn. */
export function netMovement(m: Movements): number {
  return m.new + m.reactivation + m.expansion - m.contraction - m.churn;
}

export function addMovements(a: Movements, b: Movements): Movements {
  return {
    new: a.new + b.new,
    reactivation: a.reactivation + b.reactivation,
    expansion: a.expansion + b.expansion,
    contraction: a.contraction + b.contraction,
    churn: a.churn + b.churn,
  };
}

/**
 * Movements of one customer over consecutive end-of-day MRR values (`series[0]` is the end of the
 * day before the range). `paidBefore` says whether the customer had positive MRR before series[0].
 */
export function customerMovements(series: number[], paidBeforeStart: boolean): Movements {
  const total = zeroMovements();
  let paid = paidBeforeStart || (series[0] ?? 0) > 0;
  for (let i = 1; i < series.length; i++) {
    const m = classifyMovement(series[i - 1]!, series[i]!, paid);
    if (m) total[m.kind] += m.amount;
    if (series[i]! > 0) paid = true;
  }
  return total;
}
