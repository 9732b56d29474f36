import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { narrativeFromRules } from '../src/narrative/fallback.ts';
import { buildNarrativePrompt } from '../src/narrative/prompt.ts';
import { fixtureCurrent, fixturePrevious } from '../src/report/fixture.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { buildGrowthReport, renderJson } from '../src/report/model.ts';
import { evaluateRules } from '../src/rules/engine.ts';

/** Pure-path throughput: rules, prompt, report model and the three renderers on the fixture snapshots. */
function time(label: string, iterations: number, fn: () => unknown) {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return {
    label,
    iterations,
    p50Ms: +q(0.5).toFixed(4),
    p99Ms: +q(0.99).toFixed(4),
    opsPerSecond: Math.round(1000 / (samples.reduce((a, b) => a + b, 0) / samples.length)),
  };
}

const outcome = evaluateRules(fixtureCurrent, fixturePrevious);
const narrative = {
  source: 'rules' as const,
  narrative: narrativeFromRules(outcome),
  fallback: { code: 'no_api_key' as const, message: 'x' },
};
const report = buildGrowthReport({
  asOf: new Date(fixtureCurrent.period.end),
  periodDays: 7,
  current: fixtureCurrent,
  previous: fixturePrevious,
  outcome,
  narrative,
  sourceLine: 'bench',
  mrrGoal: 50_000,
});

const results = [
  time('evaluateRules', 20_000, () => evaluateRules(fixtureCurrent, fixturePrevious)),
  time('buildNarrativePrompt', 5_000, () =>
    buildNarrativePrompt({ current: fixtureCurrent, previous: fixturePrevious, outcome }),
  ),
  time('buildGrowthReport', 5_000, () =>
    buildGrowthReport({
      asOf: new Date(fixtureCurrent.period.end),
      periodDays: 7,
      current: fixtureCurrent,
      previous: fixturePrevious,
      outcome,
      narrative,
      sourceLine: 'bench',
      mrrGoal: 50_000,
    }),
  ),
  time('renderMarkdown', 5_000, () => renderMarkdown(report)),
  time('renderHtml', 5_000, () => renderHtml(report)),
  time('renderJson (validated)', 2_000, () => renderJson(report)),
];
for (const r of results)
  process.stdout.write(
    `${r.label.padEnd(24)} p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  ${r.opsPerSecond} ops/s\n`,
  );
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(
  path.join(out, 'insights.json'),
  `${JSON.stringify({ node: process.version, results }, null, 2)}\n`,
);
