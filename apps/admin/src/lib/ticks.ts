/** Axis tick labels that stay readable at any chart width and period length. Pure. */

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/**
 * Short labels for an axis of ISO days (`2026-11-03` -> `Nov 3`, with the year when the axis spans
 * several; month buckets -> `Nov 2026`), or null when the values are not all ISO days.
 */
export function axisDateFormatter(values: string[]): ((value: string) => string) | null {
  if (!values.length || !values.every((v) => ISO_DAY.test(v))) return null;
  const years = new Set(values.map((v) => v.slice(0, 4)));
  const times = values.map((v) => Date.parse(`${v}T00:00:00Z`));
  const monthly =
    values.length > 1 &&
    values.every((v) => v.endsWith('-01')) &&
    times.slice(1).every((t, i) => t - times[i]! >= 28 * DAY_MS);
  return (value) => {
    if (!ISO_DAY.test(value)) return value;
    const year = value.slice(0, 4);
    const month = MONTHS[Number(value.slice(5, 7)) - 1] ?? value.slice(5, 7);
    if (monthly) return `${month} ${year}`;
    const day = `${month} ${Number(value.slice(8, 10))}`;
    return years.size > 1 ? `${day} '${year.slice(2)}` : day;
  };
}

export interface TickPlan {
  /** recharts `interval`: show every (interval + 1)-th tick. */
  interval: number | 'preserveStartEnd';
  /** Rotation of the labels (categories that do not fit side by side). */
  angle: number;
  /** Extra axis height the rotated labels need. */
  extraHeight: number;
  /** Room the first rotated label needs left of the plot. */
  extraLeft: number;
}

/** Approximate width of a 12 px label, plus a gap. */
const labelWidth = (chars: number) => chars * 7 + 10;

/** The room the longest of these labels takes on an axis, in px. */
export const tickLabelWidth = (labels: string[]) => labelWidth(Math.max(0, ...labels.map((l) => l.length)));

/**
 * Which ticks to show on a plot `plotWidth` px wide (null before it is measured: recharts thins
 * them itself). Dates are thinned to every n-th; categories, which each need their label, are
 * rotated when they do not fit side by side (and thinned only when even that fails).
 */
export function tickPlan(
  labels: string[],
  plotWidth: number | null,
  options: { categorical: boolean },
): TickPlan {
  const n = labels.length;
  const flat = { angle: 0, extraHeight: 0, extraLeft: 0 };
  if (plotWidth === null || n === 0) return { interval: 'preserveStartEnd', ...flat };
  const longest = Math.max(...labels.map((l) => l.length));
  const fit = Math.max(1, Math.floor(plotWidth / labelWidth(longest)));
  if (n <= fit) return { interval: 0, ...flat };
  // Rotated labels need about one line height each across; the first one reaches left of its
  // category by its length times cos 35°, less the half category it starts from.
  if (options.categorical && n * 18 <= plotWidth) {
    const length = labelWidth(longest);
    const angle = (35 * Math.PI) / 180;
    return {
      interval: 0,
      angle: -35,
      extraHeight: Math.ceil(length * Math.sin(angle)),
      extraLeft: Math.max(0, Math.ceil(length * Math.cos(angle) - plotWidth / n / 2)),
    };
  }
  return { interval: Math.ceil(n / fit) - 1, ...flat };
}
