/**
 * The dashboard period from the URL: `?days=7|30|90[&to=YYYY-MM-DD]` or a custom `?from=...&to=...`.
 * Half-open [from, to) in UTC days; `to` defaults to the start of tomorrow (today included).
 * Pure: `today` comes from the caller.
 */
export interface Period {
  from: string;
  to: string;
  days: number;
  preset: 7 | 30 | 90 | null;
  /** Whether the URL chose the end (`to`); links to other presets keep a chosen end. */
  pinnedTo: boolean;
  /** The previous period of the same length, for comparisons. */
  previous: { from: string; to: string };
  fromDate: Date;
  toDate: Date;
}

export const PRESETS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
export const addDaysIso = (day: string, n: number) =>
  isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));

function parseDay(value: string | undefined): string | undefined {
  if (!value || !ISO_DAY.test(value)) return undefined;
  const t = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(t) || isoDay(new Date(t)) !== value ? undefined : value;
}

export type SearchParams = Record<string, string | string[] | undefined>;
export const param = (sp: SearchParams, key: string): string | undefined => {
  const v = sp[key];
  return Array.isArray(v) ? v[0] : v;
};

export function parsePeriod(sp: SearchParams, today: Date): Period {
  const defaultTo = addDaysIso(isoDay(today), 1);
  let to = parseDay(param(sp, 'to')) ?? defaultTo;
  let from = parseDay(param(sp, 'from'));
  let preset: Period['preset'] = null;
  if (from && from < to && !param(sp, 'days')) {
    // custom range, capped at two years
    if (Date.parse(to) - Date.parse(from) > 731 * DAY_MS) from = addDaysIso(to, -731);
  } else {
    const days = Number(param(sp, 'days'));
    preset = (PRESETS as readonly number[]).includes(days) ? (days as 7 | 30 | 90) : 30;
    from = addDaysIso(to, -preset);
    if (!parseDay(param(sp, 'to'))) to = defaultTo;
  }
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
  return {
    from,
    to,
    days,
    preset,
    pinnedTo: parseDay(param(sp, 'to')) !== undefined,
    previous: { from: addDaysIso(from, -days), to: from },
    fromDate: new Date(`${from}T00:00:00Z`),
    toDate: new Date(`${to}T00:00:00Z`),
  };
}

/** The query string that reproduces a period (plus extra params), for links. */
export function periodQuery(p: Period, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  if (p.preset) {
    q.set('days', String(p.preset));
    q.set('to', p.to);
  } else {
    q.set('from', p.from);
    q.set('to', p.to);
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') q.set(k, v);
  return q.toString();
}
