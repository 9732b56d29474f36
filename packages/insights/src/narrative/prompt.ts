import type { RuleOutcome } from '../rules/engine.ts';
import { type MetricsSnapshot, metricsSnapshotSchema } from '../snapshot.ts';

/**
 * What may reach the model: aggregates only. The snapshot is re-parsed with its schema (which
 * strips anything that is not a declared aggregate), time series are dropped, and every free
 * string (feature, step and action names, finding titles) is scrubbed of e-mail addresses, UUIDs
 * and Stripe/record ids in case an event name carries one.
 */
export interface NarrativeInput {
  current: MetricsSnapshot;
  previous?: MetricsSnapshot | undefined;
  outcome: RuleOutcome;
  /** The report's choices (MRR goal, periods, metric options) for context. */
  context?: Record<string, string | number | boolean>;
}

export interface NarrativePrompt {
  system: string;
  user: string;
}

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const STRIPE_ID =
  /\b(?:cus|sub|si|in|il|ii|pi|ch|re|dp|evt|prod|price|cs|pm|src|card|acct|txn|po|py)_[A-Za-z0-9]{6,}\b/g;
const LONG_DIGITS = /\b\d{9,}\b/g;

/** Removes identifiers from a free string. */
export function scrub(text: string): string {
  return text
    .replace(EMAIL, '[redacted]')
    .replace(UUID, '[redacted]')
    .replace(STRIPE_ID, '[redacted]')
    .replace(LONG_DIGITS, '[redacted]');
}

function scrubDeep(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map(scrubDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k), scrubDeep(v)]));
  }
  return value;
}

function aggregatesOf(snapshot: MetricsSnapshot): unknown {
  const parsed = metricsSnapshotSchema.parse(snapshot);
  const { revenue, engagement, ...rest } = parsed;
  const { mrrSeries: _mrrSeries, ...revenueAggregates } = revenue ?? {};
  const { dauSeries: _dauSeries, ...engagementAggregates } = engagement ?? {};
  return scrubDeep({
    ...rest,
    ...(revenue ? { revenue: revenueAggregates } : {}),
    ...(engagement ? { engagement: engagementAggregates } : {}),
  });
}

export const SYSTEM_PROMPT = [
  'You are a growth analyst for a SaaS company. You receive aggregate metrics for the current period',
  'and the previous period of the same length, plus findings from a rule engine.',
  'Conventions: money is an integer count of minor units (cents) of the stated currency; ratios are',
  'fractions between 0 and 1; periods are half-open UTC intervals [start, end).',
  'Write for a founder: concrete, numeric, no hype. Use only the numbers given; never invent figures.',
  'Answer with one JSON object and nothing else, with exactly these keys:',
  '{"headline": string, "summary": string, "highlights": string[], "risks": string[],',
  '"recommendations": [{"title": string, "detail": string, "priority": "high"|"medium"|"low"}]}.',
  'At most 5 highlights, 5 risks and 5 recommendations.',
].join(' ');

/** Builds the prompt from aggregates only. Pure. */
export function buildNarrativePrompt(input: NarrativeInput): NarrativePrompt {
  const payload = {
    currency: input.current.currency,
    current: aggregatesOf(input.current),
    previous: input.previous ? aggregatesOf(input.previous) : null,
    findings: scrubDeep(
      input.outcome.findings.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        title: f.title,
        evidence: f.evidence.map((e) => ({
          metric: e.metric,
          unit: e.unit,
          current: e.current,
          previous: e.previous ?? null,
          threshold: e.threshold ?? null,
        })),
      })),
    ),
    rulesWithoutData: input.outcome.skipped.map((s) => s.rule),
    context: input.context ? scrubDeep(input.context) : {},
  };
  return {
    system: SYSTEM_PROMPT,
    user: `Metrics and findings (JSON):\n${JSON.stringify(payload)}\n\nWrite the growth narrative as the JSON object described.`,
  };
}
