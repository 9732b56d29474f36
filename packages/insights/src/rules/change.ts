/** Change of a figure against the previous period. */
export interface Change {
  absolute: number;
  /** `(current - previous) / |previous|`; null when the previous value is 0 (no meaningful ratio). */
  relative: number | null;
}

/** null when either side is missing. A previous value of 0 gives an absolute change only. */
export function changeOf(
  current: number | undefined | null,
  previous: number | undefined | null,
): Change | null {
  if (current === undefined || current === null || previous === undefined || previous === null) return null;
  if (!Number.isFinite(current) || !Number.isFinite(previous)) return null;
  const absolute = current - previous;
  const relative = previous === 0 ? null : absolute / Math.abs(previous);
  // A denormal previous value overflows the ratio: as meaningless as a 0 base.
  return { absolute, relative: relative !== null && Number.isFinite(relative) ? relative : null };
}

/** Ratio with an explicit "undefined" for a zero denominator, never NaN or Infinity. */
export function safeRatio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
