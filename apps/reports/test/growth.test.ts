import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import {
  findGrowthReport,
  growthReportSchema,
  insightsReportSchema,
  latestGrowthReports,
} from '@org/insights';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_AS_OF, loadDataset } from './fixtures/dataset.ts';
import { runCli } from './support.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = (name: string, actual: string) => {
  const file = path.join(here, 'fixtures', `${name}.golden`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
};

let db: TestDatabase;
let env: Record<string, string>;
let tmp: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDataset(db.pool);
  // MRR_GOAL is in major units: a $5,000.00 goal, of which the dataset's MRR ($1,041.31) is a fifth.
  env = { DATABASE_URL: db.url, MRR_GOAL: '5000' };
  tmp = mkdtempSync(path.join(os.tmpdir(), 'org-reports-growth-'));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await db.drop();
});

describe('org-reports growth', () => {
  it('writes the Markdown report of a fixed dataset (golden)', async () => {
    const run = await runCli(['growth', '--days', '7', '--as-of', DATASET_AS_OF, '--format', 'md'], env);
    expect(run.stderr).toMatch(
      /^stored as growth report #\d+ \(shown on the dashboard's Insights page\)\nNarrative from rule findings only \(ANTHROPIC_API_KEY is not set\)\.\n$/,
    );
    expect(run.code).toBe(0);
    golden('growth-7d.md', run.stdout);
  });

  it('writes md, html and json with --out-dir, the same report in each', async () => {
    const dir = path.join(tmp, 'reports');
    const run = await runCli(
      ['growth', '--days', '30', '--as-of', DATASET_AS_OF, '--out-dir', dir, '--json'],
      env,
    );
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.files).toEqual(['md', 'html', 'json'].map((f) => path.join(dir, `growth.${f}`)));
    const report = growthReportSchema.parse(JSON.parse(readFileSync(path.join(dir, 'growth.json'), 'utf8')));
    expect(report).toMatchObject({
      version: 2,
      periodDays: 30,
      asOf: '2026-11-16T00:00:00.000Z',
      currency: 'usd',
    });
    const users = report.sections.find((s) => s.id === 'users')!;
    expect(users.figures.find((f) => f.key === 'users.new')!.current).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'growth.html'), 'utf8')).toContain('<svg');
    golden('growth-30d.json', readFileSync(path.join(dir, 'growth.json'), 'utf8'));
  });

  it('writes a single format to --output (and with --no-store stores nothing)', async () => {
    const file = path.join(tmp, 'nested', 'g.html');
    const stored = (await latestGrowthReports(db.pool, { limit: 100 })).length;
    const run = await runCli(
      ['growth', '--as-of', DATASET_AS_OF, '--format', 'html', '--output', file, '--no-store'],
      env,
    );
    expect(run).toMatchObject({
      code: 0,
      stdout: `Wrote ${file}\n`,
      stderr: 'Narrative from rule findings only (ANTHROPIC_API_KEY is not set).\n',
    });
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/);
    expect((await latestGrowthReports(db.pool, { limit: 100 })).length).toBe(stored);
  });

  it('stores the report it prints, which the dashboard finds by period', async () => {
    const run = await runCli(['growth', '--days', '90', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    expect(run.code).toBe(0);
    const printed = growthReportSchema.parse(JSON.parse(run.stdout));
    const id = Number(/#(\d+)/.exec(run.stderr)?.[1]);
    const found = await findGrowthReport(db.pool, {
      asOf: new Date(`${DATASET_AS_OF}T00:00:00Z`),
      days: 90,
      currency: 'usd',
    });
    expect(found).toMatchObject({ id, periodDays: 90, generatedBy: 'cli', narrativeSource: 'rules' });
    expect(found!.report).toEqual(printed);
    expect((await latestGrowthReports(db.pool, { limit: 1 }))[0]).toMatchObject({
      id,
      headline: printed.insights.narrative.headline,
    });
    // Another app, currency or period length is another report.
    expect(
      await findGrowthReport(db.pool, {
        asOf: new Date(`${DATASET_AS_OF}T00:00:00Z`),
        days: 90,
        currency: 'eur',
      }),
    ).toBeNull();
    expect(
      await findGrowthReport(db.pool, {
        asOf: new Date(`${DATASET_AS_OF}T00:00:00Z`),
        days: 90,
        currency: 'usd',
        app: 'other',
      }),
    ).toBeNull();
  });

  it('raises no finding from a period that is not over yet (only the incoming-data rules run)', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const run = await runCli(
      ['growth', '--days', '7', '--as-of', tomorrow, '--format', 'json', '--no-store'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const report = growthReportSchema.parse(JSON.parse(run.stdout));
    for (const f of report.insights.findings) expect(['data_stale', 'dead_webhooks']).toContain(f.rule);
    // The goal rule would fire on a finished period (MRR is a fifth of the goal): here it waits.
    expect(report.insights.skippedRules).toContainEqual({
      rule: 'mrr_below_goal',
      reason: expect.stringMatching(/^the period is not over/),
    });
    const insights = await runCli(['insights', '--weeks', '1', '--as-of', tomorrow, '--format', 'json'], env);
    expect(insights.code, insights.stderr).toBe(0);
    const weekly = insightsReportSchema.parse(JSON.parse(insights.stdout));
    for (const f of weekly.findings) expect(['data_stale', 'dead_webhooks']).toContain(f.rule);
    expect(weekly.skippedRules.map((r) => r.rule)).toContain('mrr_below_goal');
  });

  it('is deterministic: the same as-of gives the same report', async () => {
    const a = await runCli(['growth', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    const b = await runCli(['growth', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    expect(a.stdout).toBe(b.stdout);
  });

  it.each([
    [['growth', '--days', '14'], /argument '14' is invalid. Allowed choices are 7, 30, 90/],
    [['growth', '--format', 'pdf'], /Allowed choices are md, json, html/],
    [
      ['growth', '--as-of', 'yesterday'],
      /--as-of must be a date \(YYYY-MM-DD\) or an ISO instant, got "yesterday"/,
    ],
    [['growth', '--as-of', '2026-02-30'], /--as-of must be a date/],
    [['growth', '--output', 'a.md', '--out-dir', 'x'], /use either --output or --out-dir/],
    [['growth', '--funnel', 'a,b'], /--funnel takes three event names/],
    [['growth', '--bogus'], /unknown option '--bogus'/],
  ])('rejects %j with usage exit 64', async (argv, message) => {
    const run = await runCli(argv as string[], env);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(message as RegExp);
    expect(run.stdout).toBe('');
  });

  it('has --help listing its flags', async () => {
    const run = await runCli(['growth', '--help'], env);
    expect(run.code).toBe(0);
    for (const flag of ['--days', '--as-of', '--format', '--output', '--out-dir', '--no-llm', '--json'])
      expect(run.stdout).toContain(flag);
  });
});

describe('org-reports insights', () => {
  it('writes the weekly insights of the fixed dataset (golden)', async () => {
    const run = await runCli(['insights', '--weeks', '4', '--as-of', DATASET_AS_OF], env);
    expect(run.code).toBe(0);
    golden('insights-4w.md', run.stdout);
  });

  it('prints the JSON report with --format json', async () => {
    const run = await runCli(['insights', '--weeks', '2', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    expect(run.code).toBe(0);
    const report = insightsReportSchema.parse(JSON.parse(run.stdout));
    expect(report.weeks).toHaveLength(2);
    expect(report.source).toBe('rules');
  });

  it.each([
    [['insights', '--weeks', '0'], /--weeks must be an integer from 1 to 12, got "0"/],
    [['insights', '--weeks', 'four'], /--weeks must be an integer/],
    [['insights', '--format', 'xml'], /Allowed choices are md, json, html/],
  ])('rejects %j with usage exit 64', async (argv, message) => {
    const run = await runCli(argv as string[], env);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(message as RegExp);
  });
});
