import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { narrativeSourceLine, writeNarrative } from '../src/anthropic.ts';
import type { Narrative } from '../src/narrative/schema.ts';
import { evaluateRules } from '../src/rules/engine.ts';
import { type MetricsSnapshot, metricsSnapshotSchema } from '../src/snapshot.ts';
import { type FakeAnthropic, startFakeAnthropic } from '../src/testing/fake-anthropic.ts';

const current = metricsSnapshotSchema.parse({
  period: { start: '2026-11-09T00:00:00.000Z', end: '2026-11-16T00:00:00.000Z' },
  currency: 'usd',
  revenue: {
    mrr: 42_000,
    newRevenue: 3_000,
    movements: { new: 3_000, reactivation: 0, expansion: 500, contraction: 200, churn: 900 },
  },
  users: { total: 900, new: 60, active: 300, activationRate: 0.42 },
  engagement: { dau: 40, wau: 150, mau: 300, stickiness: 0.13 },
  product: { features: [{ feature: 'enrichment', users: 120, events: 4_000 }] },
  ledger: { failedPayments: 2, deadWebhooks: 0 },
});
const previous = metricsSnapshotSchema.parse({
  ...current,
  period: { start: '2026-11-02T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' },
  users: { total: 840, new: 80, active: 280, activationRate: 0.45 },
});
const outcome = evaluateRules(current, previous);
const input = { current, previous, outcome, context: { mrrGoalMinorUnits: 50_000, periodDays: 7 } };

const answer: Narrative = {
  headline: 'MRR is at 84% of goal while activation slips',
  summary: 'MRR reached $420. New users fell 25%. Activation is 42%, under the 50% target.',
  highlights: ['Expansion MRR of $5'],
  risks: ['Activation below target', 'Stickiness at 13%'],
  recommendations: [
    { title: 'Fix onboarding', detail: 'Guide new users to their first enrichment.', priority: 'high' },
  ],
};

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

const options = (extra: Record<string, unknown> = {}) => ({
  apiKey: 'sk-ant-test-key',
  baseURL: fake.url,
  model: 'claude-sonnet-5-5',
  timeoutMs: 2_000,
  maxRetries: 1,
  ...extra,
});

describe('writeNarrative against the Messages API', () => {
  it('returns the validated narrative with token usage and cost', async () => {
    fake.reply({ kind: 'message', text: JSON.stringify(answer), inputTokens: 1_000, outputTokens: 500 });
    const result = await writeNarrative(input, options());
    expect(result.source).toBe('llm');
    expect(result.narrative).toEqual(answer);
    expect(result.usage).toMatchObject({ model: 'claude-sonnet-5-5', inputTokens: 1_000, outputTokens: 500 });
    expect(result.usage!.costUsd).toBeCloseTo(0.007, 10);
    expect(result.usage!.requestId).toMatch(/^req_/);
    expect(narrativeSourceLine(result)).toBe(
      'Narrative by Claude (claude-sonnet-5-5: 1,000 input + 500 output tokens, ~$0.0070).',
    );

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.url).toBe('/v1/messages');
    expect(request!.headers['x-api-key'] ?? request!.headers.authorization).toMatch(/sk-ant-test-key$/);
    expect(request!.headers['anthropic-version']).toBeTruthy();
    expect(request!.body).toMatchObject({ model: 'claude-sonnet-5-5', max_tokens: 4_000 });
    expect(request!.body.output_config).toMatchObject({ format: { type: 'json_schema' } });
  });

  it('accepts an answer wrapped in a code fence', async () => {
    fake.reply({ kind: 'message', text: `Here it is:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` });
    expect((await writeNarrative(input, options())).source).toBe('llm');
  });

  it('uses the configured model and can skip structured outputs', async () => {
    fake.reply({ kind: 'message', text: JSON.stringify(answer) });
    const result = await writeNarrative(
      input,
      options({ model: 'claude-haiku-4-5', structuredOutput: false }),
    );
    expect(fake.requests[0]!.body.model).toBe('claude-haiku-4-5');
    expect(fake.requests[0]!.body.output_config).toBeUndefined();
    expect(result.usage!.costUsd).toBeCloseTo((1_234 * 1 + 456 * 5) / 1e6, 10);
  });

  it('sends aggregates only: no emails, names or ids reach the prompt', async () => {
    fake.reply({ kind: 'message', text: JSON.stringify(answer) });
    // A snapshot polluted the way a careless collector could: extra keys and ids inside names.
    const polluted = {
      ...current,
      topUsers: [
        { email: 'ada@example.com', name: 'Ada Lovelace', id: '3f2b8c1e-4d5a-4b6c-9e7f-1a2b3c4d5e6f' },
      ],
      revenue: {
        ...current.revenue,
        topCustomers: [{ customer: 'cus_Q1w2E3r4T5y6U7', name: 'Grace Hopper' }],
      },
      product: {
        features: [{ feature: 'export for bob@example.org', users: 3, events: 9 }],
        coreAction: { name: 'enrich sub_1AbCdEfGhIjKlMn', attempts: 10, successes: 9 },
      },
    } as unknown as MetricsSnapshot;
    await writeNarrative(
      { ...input, current: polluted, outcome: evaluateRules(polluted, previous) },
      options(),
    );
    const sent = fake.requests[0]!.raw;
    for (const secret of [
      'ada@example.com',
      'bob@example.org',
      'Ada Lovelace',
      'Grace Hopper',
      '3f2b8c1e-4d5a',
      'cus_Q1w2E3r4T5y6U7',
      'sub_1AbCdEfGhIjKlMn',
      'topUsers',
      'topCustomers',
    ]) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).toContain('42000'); // the aggregates are there
  });

  it('falls back to the rules on invalid JSON', async () => {
    fake.reply({ kind: 'message', text: '{"headline": "unterminated, "summary": }' });
    const result = await writeNarrative(input, options());
    expect(result.source).toBe('rules');
    if (result.source !== 'rules') throw new Error('unreachable');
    expect(result.fallback.code).toBe('invalid_response');
    expect(result.usage).toMatchObject({ inputTokens: 1_234 }); // tokens were still spent, and reported
    expect(result.narrative.risks.length).toBeGreaterThan(0);
    expect(narrativeSourceLine(result)).toMatch(
      /^Narrative from rule findings only \(the LLM call failed: the answer is not valid JSON/,
    );
  });

  it('falls back on JSON that does not match the schema', async () => {
    fake.reply({
      kind: 'message',
      text: JSON.stringify({ ...answer, recommendations: [{ title: 'x', priority: 'urgent' }] }),
    });
    const result = await writeNarrative(input, options());
    expect(result.source === 'rules' && result.fallback).toMatchObject({ code: 'invalid_response' });
  });

  it('falls back when the answer was cut off at max_tokens', async () => {
    fake.reply({ kind: 'message', text: JSON.stringify(answer), stopReason: 'max_tokens' });
    const result = await writeNarrative(input, options());
    expect(result.source === 'rules' && result.fallback.code).toBe('invalid_response');
  });

  it('retries a 429 and succeeds', async () => {
    fake.reply(
      {
        kind: 'error',
        status: 429,
        type: 'rate_limit_error',
        message: 'Number of request tokens has exceeded your per-minute rate limit',
        retryAfter: '0',
      },
      { kind: 'message', text: JSON.stringify(answer) },
    );
    const result = await writeNarrative(input, options());
    expect(result.source).toBe('llm');
    expect(fake.requests).toHaveLength(2);
  });

  it('falls back after retries on a persistent 429', async () => {
    fake.reply({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'rate limited',
      retryAfter: '0',
    });
    const result = await writeNarrative(input, options());
    expect(fake.requests).toHaveLength(2); // first attempt + 1 retry
    expect(result.source === 'rules' && result.fallback).toEqual({
      code: 'rate_limited',
      message: 'rate limited by the Anthropic API (429 rate_limit_error: rate limited)',
    });
  });

  it('falls back on 529 overloaded and on 500/503', async () => {
    fake.reply({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    const overloaded = await writeNarrative(input, options({ maxRetries: 0 }));
    expect(overloaded.source === 'rules' && overloaded.fallback.code).toBe('overloaded');

    for (const status of [500, 503]) {
      fake.reply({ kind: 'error', status, type: 'api_error', message: 'Internal server error' });
      const failed = await writeNarrative(input, options({ maxRetries: 0 }));
      expect(failed.source === 'rules' && failed.fallback.code).toBe('server_error');
    }
  });

  it('does not retry a 400 and reports it', async () => {
    fake.reply({
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'max_tokens: field required',
    });
    const result = await writeNarrative(input, options());
    expect(fake.requests).toHaveLength(1);
    expect(result.source === 'rules' && result.fallback.code).toBe('api_error');
  });

  it('falls back on a 401 with auth_failed', async () => {
    fake.reply({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
    const result = await writeNarrative(input, options());
    expect(result.source === 'rules' && result.fallback.code).toBe('auth_failed');
  });

  it('times out a slow answer, retries, then falls back', async () => {
    fake.reply({ kind: 'slow', delayMs: 5_000, reply: { kind: 'message', text: JSON.stringify(answer) } });
    const result = await writeNarrative(input, options({ timeoutMs: 200, maxRetries: 1 }));
    expect(fake.requests).toHaveLength(2);
    expect(result.source === 'rules' && result.fallback.code).toBe('timeout');
  });

  it('falls back when the server is unreachable', async () => {
    const result = await writeNarrative(input, options({ baseURL: 'http://127.0.0.1:9', maxRetries: 0 }));
    expect(result.source === 'rules' && result.fallback.code).toBe('unreachable');
  });

  it('makes no request without an API key and says so', async () => {
    const result = await writeNarrative(input, { baseURL: fake.url });
    expect(fake.requests).toHaveLength(0);
    expect(result.source).toBe('rules');
    expect(narrativeSourceLine(result)).toBe(
      'Narrative from rule findings only (ANTHROPIC_API_KEY is not set).',
    );
    expect(result.narrative.recommendations[0]!.priority).toBe('medium');
  });
});
