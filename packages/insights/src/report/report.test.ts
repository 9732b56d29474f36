import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type NarrativeResult, narrativeSourceLine } from '../anthropic.ts';
import { narrativeFromRules } from '../narrative/fallback.ts';
import { evaluateRules } from '../rules/engine.ts';
import { parseThresholds } from '../rules/thresholds.ts';
import { metricsSnapshotSchema } from '../snapshot.ts';
import { fixtureCurrent, fixturePrevious } from './fixture.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import {
  buildGrowthReport,
  type GrowthReport,
  growthReportJsonSchema,
  growthReportSchema,
  renderJson,
} from './model.ts';
import { barChart, lineChart, progressBar } from './svg.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = (name: string, actual: string) => {
  const file = path.join(here, '__golden__', `${name}.golden`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
};

function fixtureReport(): GrowthReport {
  const thresholds = parseThresholds({ mrrGoal: 50_000 });
  const outcome = evaluateRules(fixtureCurrent, fixturePrevious, thresholds);
  const narrative: NarrativeResult = {
    source: 'rules',
    narrative: narrativeFromRules(outcome),
    fallback: { code: 'no_api_key', message: 'ANTHROPIC_API_KEY is not set' },
  };
  return buildGrowthReport({
    asOf: new Date('2026-11-16T00:00:00.000Z'),
    periodDays: 7,
    current: fixtureCurrent,
    previous: fixturePrevious,
    outcome,
    narrative,
    sourceLine: narrativeSourceLine(narrative),
    mrrGoal: 50_000,
  });
}

describe('growth report', () => {
  it('validates the fixture snapshots', () => {
    expect(metricsSnapshotSchema.parse(fixtureCurrent)).toEqual(fixtureCurrent);
    expect(metricsSnapshotSchema.parse(fixturePrevious)).toEqual(fixturePrevious);
  });

  it('builds a model with every section, previous values, changes and goal progress', () => {
    const report = fixtureReport();
    expect(report.sections.map((s) => s.title)).toEqual([
      'Revenue',
      'Users',
      'Engagement',
      'Product',
      'Conversion funnel',
    ]);
    const mrr = report.sections[0]!.figures.find((f) => f.key === 'revenue.mrr')!;
    expect(mrr).toMatchObject({ current: 42_350, previous: 38_550, change: { absolute: 3_800 } });
    expect(mrr.change!.relative).toBeCloseTo(0.0986, 4);
    expect(report.goal).toEqual({ mrrGoal: 50_000, mrr: 42_350, progress: 0.847 });
    expect(report.version).toBe(2);
    const cash = report.sections[0]!.figures.filter((f) => f.key.includes('ash'));
    expect(cash.map((f) => [f.label, f.current])).toEqual([
      ['Cash collected (gross)', 53_100],
      ['Net cash collected', 51_200],
    ]);
    const activation = report.sections[1]!.figures.find((f) => f.key === 'users.activationRate')!;
    expect(activation.changeStyle).toBe('points');
    expect(report.insights.findings.map((f) => f.rule)).toContain('dead_webhooks');
    expect(report.missing).toEqual([]);
    expect(growthReportSchema.parse(report)).toEqual(report);
  });

  it('renders Markdown (golden)', () => golden('growth.md', renderMarkdown(fixtureReport())));
  it('renders HTML (golden)', () => golden('growth.html', renderHtml(fixtureReport())));
  it('renders JSON (golden)', () => golden('growth.json', renderJson(fixtureReport())));

  it('HTML is standalone: no scripts, no external resources', () => {
    const html = renderHtml(fixtureReport());
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('renders a report with missing data without crashing, listing what is missing', () => {
    const empty = metricsSnapshotSchema.parse({ period: fixtureCurrent.period, currency: 'usd' });
    const emptyPrevious = metricsSnapshotSchema.parse({ period: fixturePrevious.period, currency: 'usd' });
    const outcome = evaluateRules(empty, emptyPrevious);
    const narrative: NarrativeResult = {
      source: 'rules',
      narrative: narrativeFromRules(outcome),
      fallback: { code: 'no_api_key', message: 'x' },
    };
    const report = buildGrowthReport({
      asOf: new Date(fixtureCurrent.period.end),
      periodDays: 7,
      current: empty,
      previous: emptyPrevious,
      outcome,
      narrative,
      sourceLine: 'rules',
      mrrGoal: 50_000,
      unavailable: ['Revenue: cash collected (no query in @org/billing-ledger yet)'],
    });
    expect(report.goal).toEqual({ mrrGoal: 50_000, mrr: null, progress: null });
    expect(report.title).toBe('Growth report 2026-11-09 to 2026-11-16 (exclusive, 7 days)');
    expect(report.missing).toContain('Revenue: MRR');
    expect(report.missing.at(-1)).toBe('Revenue: cash collected (no query in @org/billing-ledger yet)');
    const md = renderMarkdown(report);
    expect(md).toContain('No data for this section in either period.');
    expect(md).toContain('**MRR goal:** $500.00 (no MRR figure for this period)');
    expect(renderHtml(report)).toContain('no MRR figure');
    expect(JSON.parse(renderJson(report)).version).toBe(2);
  });

  it('has no goal line anywhere without a goal', () => {
    const outcome = evaluateRules(fixtureCurrent, fixturePrevious);
    const narrative: NarrativeResult = {
      source: 'rules',
      narrative: narrativeFromRules(outcome),
      fallback: { code: 'no_api_key', message: 'x' },
    };
    const report = buildGrowthReport({
      asOf: new Date(fixtureCurrent.period.end),
      periodDays: 7,
      current: fixtureCurrent,
      previous: fixturePrevious,
      outcome,
      narrative,
      sourceLine: 'rules',
    });
    expect(report.goal).toBeNull();
    expect(outcome.findings.map((f) => f.rule)).not.toContain('mrr_below_goal');
    for (const text of [renderMarkdown(report), renderHtml(report)]) expect(text).not.toMatch(/goal/i);
    expect(JSON.parse(renderJson(report)).goal).toBeNull();
  });

  it('publishes a JSON Schema of the report', () => {
    const schema = growthReportJsonSchema();
    expect(schema).toMatchObject({ type: 'object' });
    expect(Object.keys(schema.properties as object)).toContain('version');
  });
});

describe('svg', () => {
  const format = (v: number) => String(v);
  it('draws deterministic charts and handles empty, flat and negative data', () => {
    const line = lineChart(
      [
        { label: 'a', value: 1 },
        { label: 'b', value: 3 },
      ],
      { title: 'T', format },
    );
    expect(line).toBe(
      lineChart(
        [
          { label: 'a', value: 1 },
          { label: 'b', value: 3 },
        ],
        { title: 'T', format },
      ),
    );
    expect(line).toContain('<path d="M72,12 L548,12"'.slice(0, 12));
    expect(lineChart([], { title: 'E', format })).toContain('no data');
    expect(
      lineChart(
        [
          { label: 'a', value: 5 },
          { label: 'b', value: 5 },
        ],
        { title: 'F', format },
      ),
    ).not.toMatch(/NaN|Infinity/);
    const bars = barChart(
      [
        { label: '<x>', value: -2 },
        { label: 'y', value: 4 },
      ],
      { title: 'B', format },
    );
    expect(bars).toContain('class="bar neg"');
    expect(bars).toContain('&lt;x&gt;');
    expect(progressBar(1.4, { title: 'P', label: '140%' })).toContain('fill done');
  });
});
