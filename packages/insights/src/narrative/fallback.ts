import { type RuleOutcome, ruleIds } from '../rules/engine.ts';
import type { Narrative } from './schema.ts';

/** The narrative written from rule findings alone: used without an API key or when the LLM fails. Pure. */
export function narrativeFromRules(outcome: RuleOutcome): Narrative {
  const problems = outcome.findings.filter((f) => f.severity === 'critical' || f.severity === 'warning');
  // Info findings are context (a small move, a goal nearly met): neither a risk nor a highlight.
  const notes = outcome.findings.filter((f) => f.severity === 'info');
  const good = outcome.findings.filter((f) => f.severity === 'positive');
  const top = problems[0] ?? good[0] ?? notes[0];
  // The goal rule applies only with a goal: without one it is neither run nor skipped.
  const skipped = new Set(outcome.skipped.map((s) => s.rule));
  const ranNone =
    outcome.findings.length === 0 &&
    skipped.size > 0 &&
    ruleIds.every((id) => skipped.has(id) || id === 'mrr_below_goal');
  const headline = top
    ? top.title
    : ranNone
      ? 'Not enough data to evaluate the rules for this period.'
      : 'No rule fired: the figures are within every threshold.';
  const summary =
    outcome.findings.length === 0
      ? ranNone
        ? 'No rule had the data it needs.'
        : 'No rule fired for this period.'
      : `${problems.length} issue${problems.length === 1 ? '' : 's'} (${problems.filter((f) => f.severity === 'critical').length} critical), ${good.length} improvement${good.length === 1 ? '' : 's'} and ${notes.length} note${notes.length === 1 ? '' : 's'}.`;
  const seen = new Set<string>();
  const recommendations: Narrative['recommendations'] = [];
  for (const f of outcome.findings) {
    if (f.severity === 'positive' || seen.has(f.recommendation)) continue;
    seen.add(f.recommendation);
    recommendations.push({
      title: f.title,
      detail: f.recommendation,
      priority: f.severity === 'critical' ? 'high' : f.severity === 'warning' ? 'medium' : 'low',
    });
  }
  return {
    headline,
    summary: outcome.skipped.length ? `${summary} ${outcome.skipped.length} rule(s) had no data.` : summary,
    highlights: good.map((f) => f.title).slice(0, 8),
    risks: problems.map((f) => f.title).slice(0, 8),
    recommendations: recommendations.slice(0, 8),
  };
}
