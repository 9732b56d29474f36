import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { growthReportSchema, insightsReportSchema } from '@org/insights';
import { type FakeAnthropic, startFakeAnthropic } from '@org/insights/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATASET_AS_OF, loadDataset } from './fixtures/dataset.ts';
import { runCli } from './support.ts';

const narrative = {
  headline: 'Usage grows while activation slips',
  summary: 'WAU rose 23% to 65; activation fell to 42%.',
  highlights: ['WAU +23%'],
  risks: ['Activation below 50%'],
  recommendations: [
    { title: 'Guide the first enrichment', detail: 'Pre-fill a sample list at signup.', priority: 'high' },
  ],
};

let db: TestDatabase;
let fake: FakeAnthropic;
let env: Record<string, string>;
beforeAll(async () => {
  [db, fake] = await Promise.all([createTestDatabase(), startFakeAnthropic()]);
  await loadDataset(db.pool);
  env = {
    DATABASE_URL: db.url,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_MODEL: 'claude-sonnet-5-5',
  };
});
afterAll(async () => {
  await fake.close();
  await db.drop();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('Claude narrative through the CLI', () => {
  it('growth uses the validated narrative and prints the token/cost line', async () => {
    fake.reply({ kind: 'message', text: JSON.stringify(narrative), inputTokens: 3_000, outputTokens: 600 });
    const run = await runCli(['growth', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    expect(run.code).toBe(0);
    const report = growthReportSchema.parse(JSON.parse(run.stdout));
    expect(report.insights).toMatchObject({
      source: 'llm',
      fallback: null,
      narrative,
      usage: { inputTokens: 3_000, outputTokens: 600, costUsd: 0.012 },
    });
    expect(report.recommendations).toEqual(narrative.recommendations);
    expect(run.stderr).toMatch(
      /^stored as growth report #\d+ .*\nNarrative by Claude \(claude-sonnet-5-5: 3,000 input \+ 600 output tokens, ~\$0\.0120\)\.\n$/,
    );
    expect(fake.requests).toHaveLength(1);
    // aggregates only: no user ids of the dataset reach the prompt
    expect(fake.requests[0]!.raw).not.toMatch(/user-\d{3}|@example\.test|cus_s11|sub_s11|Customer \d/);
    expect(fake.requests[0]!.body.model).toBe('claude-sonnet-5-5');
  });

  it('falls back to the rules on a server error and says so in the report', async () => {
    fake.reply({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' });
    const run = await runCli(['insights', '--weeks', '2', '--as-of', DATASET_AS_OF, '--format', 'md'], {
      ...env,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '_Narrative from rule findings only (the LLM call failed: the Anthropic API failed (500 api_error: Internal server error))._',
    );
    expect(fake.requests.length).toBe(3); // first attempt + 2 retries
  }, 60_000);

  it('falls back on an answer that is not the requested JSON', async () => {
    fake.reply({ kind: 'message', text: 'Here are some thoughts about your metrics.' });
    const run = await runCli(['insights', '--weeks', '1', '--as-of', DATASET_AS_OF, '--format', 'json'], env);
    const report = insightsReportSchema.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({
      source: 'rules',
      fallback: { code: 'invalid_response' },
      usage: { inputTokens: 1_234 },
    });
  });

  it('--no-llm makes no request', async () => {
    const run = await runCli(['growth', '--as-of', DATASET_AS_OF, '--no-llm', '--format', 'json'], env);
    expect(run.code).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(JSON.parse(run.stdout).insights.fallback.code).toBe('llm_disabled');
    expect(JSON.parse(run.stdout).insights.sourceLine).toBe(
      'Narrative from rule findings only (the LLM narrative is turned off).',
    );
  });
});
