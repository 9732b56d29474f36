import { majorToMinor, minorUnitExponent } from '@org/billing-ledger';
import type { Pool } from '@org/db';
import {
  type NarrativeOptions,
  type NarrativeResult,
  narrativeSourceLine,
  writeNarrative,
} from './anthropic.ts';
import {
  type CollectOptions,
  collectedMetricChoices,
  collectSections,
  collectSnapshot,
} from './collect/collect.ts';
import { renderHtml } from './report/html.ts';
import {
  buildInsightsReport,
  type InsightsReport,
  renderInsightsHtml,
  renderInsightsJson,
  renderInsightsMarkdown,
} from './report/insights.ts';
import { renderMarkdown } from './report/markdown.ts';
import { buildGrowthReport, defaultMetricChoices, type GrowthReport, renderJson } from './report/model.ts';
import { evaluateRules } from './rules/engine.ts';
import { parseThresholds, type ThresholdsInput } from './rules/thresholds.ts';
import { periodsEndingAt } from './snapshot.ts';

/** Orchestration for the CLI and the demo: collect -> rules -> narrative -> report model. */
export interface GenerateOptions {
  /** End of the current period (exclusive). */
  asOf: Date;
  /**
   * The MRR goal in **major units** of the report currency (`50000` = $50,000.00 in usd, ¥50,000
   * in jpy); unset: no goal, and no goal line or finding anywhere.
   */
  mrrGoal?: number | string | undefined;
  /** The clock, read by the caller: a period ending after it is not over, and raises no findings. */
  now?: Date | undefined;
  thresholds?: ThresholdsInput | undefined;
  collect: CollectOptions;
  /** Set `apiKey` to enable the LLM narrative. */
  narrative?: NarrativeOptions | undefined;
  onProgress?: ((step: string) => void) | undefined;
}

export type ReportFormat = 'md' | 'html' | 'json';

/**
 * The goal in minor units of `currency`, or undefined without one. A goal with more decimals than
 * the currency has (¥500.5) is rounded half-up to a minor unit.
 */
export function mrrGoalMinor(goal: number | string | undefined, currency: string): number | undefined {
  if (goal === undefined || goal === '') return undefined;
  const exact = majorToMinor(goal, currency);
  const major = Number(goal);
  if (exact === null && !(Number.isFinite(major) && major >= 0))
    throw new RangeError(`MRR goal must be a non-negative amount in major units, got ${goal}`);
  const minor = exact !== null ? Number(exact) : Math.round(major * 10 ** minorUnitExponent(currency));
  return minor > 0 ? minor : undefined;
}

export async function generateGrowthReport(
  pool: Pool,
  options: GenerateOptions & { days: number },
): Promise<GrowthReport> {
  const { current, previous } = periodsEndingAt(options.asOf, options.days);
  const mrrGoal = mrrGoalMinor(options.mrrGoal, options.collect.currency);
  const thresholds = parseThresholds({ ...options.thresholds, mrrGoal });
  // The two periods are independent: collected at the same time.
  const step =
    <T>(name: string) =>
    (r: T) => {
      options.onProgress?.(name);
      return r;
    };
  const [now, before] = await Promise.all([
    collectSnapshot(pool, current, { ...options.collect, includeInbox: true }).then(step('current period')),
    // The report charts the current period's series only: none are collected for the previous one.
    collectSnapshot(pool, previous, {
      ...options.collect,
      includeInbox: false,
      sections: collectSections.filter((s) => s !== 'series'),
    }).then(step('previous period')),
  ]);
  const outcome = evaluateRules(now.snapshot, before.snapshot, thresholds, { now: options.now });
  options.onProgress?.('narrative');
  const narrative = await writeNarrative(
    {
      current: now.snapshot,
      previous: before.snapshot,
      outcome,
      context: { periodDays: options.days, ...(mrrGoal !== undefined ? { mrrGoalMinorUnits: mrrGoal } : {}) },
    },
    options.narrative ?? {},
  );
  return buildGrowthReport({
    asOf: options.asOf,
    periodDays: options.days,
    current: now.snapshot,
    previous: before.snapshot,
    outcome,
    narrative,
    sourceLine: narrativeSourceLine(narrative),
    mrrGoal,
    metricChoices: collectedMetricChoices(options.collect, defaultMetricChoices),
    unavailable: [...new Set(now.unavailable)],
  });
}

export async function generateInsightsReport(
  pool: Pool,
  options: GenerateOptions & { weeks: number },
): Promise<InsightsReport> {
  const snapshots = [];
  let unavailable: string[] = [];
  // weeks + 1 snapshots: the extra, oldest one is the baseline of the first week's changes.
  for (let i = options.weeks; i >= 0; i--) {
    const end = new Date(options.asOf.getTime() - i * 7 * 86_400_000);
    options.onProgress?.(`week ending ${end.toISOString().slice(0, 10)}`);
    const { current } = periodsEndingAt(end, 7);
    const r = await collectSnapshot(pool, current, { ...options.collect, includeInbox: i === 0 });
    snapshots.push(r.snapshot);
    if (i === 0) unavailable = r.unavailable;
  }
  const latest = snapshots.at(-1)!;
  const previous = snapshots.at(-2);
  const mrrGoal = mrrGoalMinor(options.mrrGoal, options.collect.currency);
  const outcome = evaluateRules(latest, previous, parseThresholds({ ...options.thresholds, mrrGoal }), {
    now: options.now,
  });
  options.onProgress?.('narrative');
  const narrative: NarrativeResult = await writeNarrative(
    {
      current: latest,
      previous,
      outcome,
      context: { weeks: options.weeks, ...(mrrGoal !== undefined ? { mrrGoalMinorUnits: mrrGoal } : {}) },
    },
    options.narrative ?? {},
  );
  return buildInsightsReport({
    asOf: options.asOf,
    weeks: snapshots.slice(1),
    outcome,
    narrative,
    sourceLine: narrativeSourceLine(narrative),
    metricChoices: collectedMetricChoices(options.collect, defaultMetricChoices),
    unavailable,
  });
}

export function renderGrowthReport(report: GrowthReport, format: ReportFormat): string {
  return format === 'md'
    ? renderMarkdown(report)
    : format === 'html'
      ? renderHtml(report)
      : renderJson(report);
}

export function renderInsightsReport(report: InsightsReport, format: ReportFormat): string {
  return format === 'md'
    ? renderInsightsMarkdown(report)
    : format === 'html'
      ? renderInsightsHtml(report)
      : renderInsightsJson(report);
}
