import Anthropic from '@anthropic-ai/sdk';
import type { InsightsFailure, Result } from './errors.ts';
import { narrativeFromRules } from './narrative/fallback.ts';
import { defaultPricing, estimateCostUsd, type ModelPrice } from './narrative/pricing.ts';
import { buildNarrativePrompt, type NarrativeInput } from './narrative/prompt.ts';
import { type Narrative, narrativeJsonSchema, narrativeSchema } from './narrative/schema.ts';

/** Vendor adapter: the only file of the package that talks to Anthropic. */
export interface NarrativeOptions {
  /** false: never call the API (e.g. `--no-llm`); the narrative comes from the rules. */
  enabled?: boolean | undefined;
  /** Without a key no request is made and the narrative comes from the rules. */
  apiKey?: string | undefined;
  model?: string | undefined;
  /** API base URL (a proxy, or a local server in tests). */
  baseURL?: string | undefined;
  /** Per attempt, milliseconds (default 60 s). */
  timeoutMs?: number | undefined;
  /** Retries on connection errors, timeouts, 408/409/429/5xx/529 with exponential backoff (default 2). */
  maxRetries?: number | undefined;
  maxTokens?: number | undefined;
  /** Ask for the answer through structured outputs (`output_config.format`); default true. */
  structuredOutput?: boolean | undefined;
  pricing?: Record<string, ModelPrice> | undefined;
}

/** The current Sonnet; `claude-sonnet-4-5` reaches end-of-life on 2026-11-30. */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

export interface LlmUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Estimated from list prices; null for a model without a known price. */
  costUsd: number | null;
  requestId: string | null;
}

export type NarrativeResult =
  | { source: 'llm'; narrative: Narrative; usage: LlmUsage }
  | { source: 'rules'; narrative: Narrative; fallback: InsightsFailure; usage?: LlmUsage };

/** Pulls the JSON object out of a text answer (tolerates code fences and a sentence around it). */
export function parseNarrativeText(text: string): Result<Narrative> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start)
    return { ok: false, error: { code: 'invalid_response', message: 'the answer holds no JSON object' } };
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    return {
      ok: false,
      error: {
        code: 'invalid_response',
        message: `the answer is not valid JSON (${(error as Error).message})`,
      },
    };
  }
  const parsed = narrativeSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: {
        code: 'invalid_response',
        message: `the answer does not match the narrative schema (${issue?.path.join('.') || '(root)'}: ${issue?.message})`,
      },
    };
  }
  return { ok: true, value: parsed.data };
}

function failureOf(error: unknown): InsightsFailure {
  if (error instanceof Anthropic.APIConnectionTimeoutError)
    return { code: 'timeout', message: 'the Anthropic API did not answer in time' };
  if (error instanceof Anthropic.APIConnectionError)
    return { code: 'unreachable', message: `could not reach the Anthropic API (${error.message})` };
  if (error instanceof Anthropic.APIError) {
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const detail =
      `${error.status ?? ''} ${body?.error?.type ?? ''}: ${body?.error?.message ?? error.message}`.trim();
    if (error.status === 429)
      return { code: 'rate_limited', message: `rate limited by the Anthropic API (${detail})` };
    if (error.status === 529)
      return { code: 'overloaded', message: `the Anthropic API is overloaded (${detail})` };
    if (error.status === 401 || error.status === 403)
      return { code: 'auth_failed', message: `the Anthropic API refused the key (${detail})` };
    if (error.status !== undefined && error.status >= 500)
      return { code: 'server_error', message: `the Anthropic API failed (${detail})` };
    return { code: 'api_error', message: `the Anthropic API rejected the request (${detail})` };
  }
  return {
    code: 'api_error',
    message: `unexpected error from the Anthropic client (${(error as Error)?.message ?? String(error)})`,
  };
}

/**
 * Asks Claude for a narrative of the period from aggregates only (see `buildNarrativePrompt`).
 * Never throws for an expected failure: without a key, or when the call or its answer fails, the
 * result is the rule-based narrative with `fallback` saying why.
 */
export async function writeNarrative(
  input: NarrativeInput,
  options: NarrativeOptions = {},
): Promise<NarrativeResult> {
  const fallback = (failure: InsightsFailure, usage?: LlmUsage): NarrativeResult => ({
    source: 'rules',
    narrative: narrativeFromRules(input.outcome),
    fallback: failure,
    ...(usage ? { usage } : {}),
  });
  if (options.enabled === false)
    return fallback({ code: 'llm_disabled', message: 'the LLM narrative is turned off' });
  if (!options.apiKey) return fallback({ code: 'no_api_key', message: 'ANTHROPIC_API_KEY is not set' });

  const model = options.model ?? DEFAULT_MODEL;
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? 'https://api.anthropic.com',
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
    logLevel: 'off',
  });
  const prompt = buildNarrativePrompt(input);
  let message: Anthropic.Message;
  let requestId: string | null = null;
  try {
    const { data, request_id } = await client.messages
      .create({
        model,
        max_tokens: options.maxTokens ?? 4_000,
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        ...(options.structuredOutput === false
          ? {}
          : { output_config: { format: { type: 'json_schema' as const, schema: narrativeJsonSchema } } }),
      })
      .withResponse();
    message = data;
    requestId = request_id ?? null;
  } catch (error) {
    return fallback(failureOf(error));
  }

  const usage: LlmUsage = {
    model: message.model || model,
    inputTokens: message.usage.input_tokens,
    outputTokens: message.usage.output_tokens,
    costUsd: estimateCostUsd(
      message.model || model,
      message.usage.input_tokens,
      message.usage.output_tokens,
      options.pricing ?? defaultPricing,
    ),
    requestId,
  };
  const text = message.content
    .filter((block): block is Anthropic.TextBlock => block.type === 'text')
    .map((block) => block.text)
    .join('');
  if (message.stop_reason === 'max_tokens') {
    return fallback({ code: 'invalid_response', message: 'the answer was cut off at max_tokens' }, usage);
  }
  if (message.stop_reason === 'refusal') {
    return fallback({ code: 'invalid_response', message: 'the model declined to answer' }, usage);
  }
  const parsed = parseNarrativeText(text);
  if (!parsed.ok) return fallback(parsed.error, usage);
  return { source: 'llm', narrative: parsed.value, usage };
}

/** "claude-sonnet-4-5: 1,234 input + 456 output tokens, ~$0.0105". */
export function usageLine(usage: LlmUsage): string {
  const n = new Intl.NumberFormat('en-US');
  const cost = usage.costUsd === null ? 'cost unknown for this model' : `~$${usage.costUsd.toFixed(4)}`;
  return `${usage.model}: ${n.format(usage.inputTokens)} input + ${n.format(usage.outputTokens)} output tokens, ${cost}`;
}

/** One line saying where the narrative came from, for reports and the CLI. */
export function narrativeSourceLine(result: NarrativeResult): string {
  if (result.source === 'llm') return `Narrative by Claude (${usageLine(result.usage)}).`;
  const why =
    result.fallback.code === 'no_api_key' || result.fallback.code === 'llm_disabled'
      ? result.fallback.message
      : `the LLM call failed: ${result.fallback.message}`;
  return `Narrative from rule findings only (${why}).${result.usage ? ` LLM usage: ${usageLine(result.usage)}.` : ''}`;
}
