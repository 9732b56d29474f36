import { describe, expect, it } from 'vitest';
import { parseNarrativeText } from '../anthropic.ts';
import type { RuleOutcome } from '../rules/engine.ts';
import { narrativeFromRules } from './fallback.ts';
import { estimateCostUsd } from './pricing.ts';
import { scrub } from './prompt.ts';
import { narrativeSchema } from './schema.ts';

describe('scrub', () => {
  it('removes e-mails, UUIDs, Stripe ids and long digit runs, keeps event names', () => {
    expect(scrub('export by jane.doe+x@corp.example.com for cus_NffrFeUfNV2Hib')).toBe(
      'export by [redacted] for [redacted]',
    );
    expect(scrub('user 0b7c2f7e-1d2a-4c3b-8e9f-0a1b2c3d4e5f phone 4155550123')).toBe(
      'user [redacted] phone [redacted]',
    );
    expect(scrub('enrichment_completed')).toBe('enrichment_completed');
  });
});

describe('estimateCostUsd', () => {
  it('prices by the longest matching prefix and is null for unknown models', () => {
    expect(estimateCostUsd('claude-opus-5-5', 1_000_000, 0)).toBe(4);
    expect(estimateCostUsd('claude-opus-5', 1_000_000, 0)).toBe(5);
    expect(estimateCostUsd('claude-sonnet-4-5-20250929', 0, 1_000_000)).toBe(15);
    expect(estimateCostUsd('my-proxy-model', 10, 10)).toBeNull();
  });
});

describe('parseNarrativeText', () => {
  it('rejects text without JSON and JSON of the wrong shape', () => {
    expect(parseNarrativeText('Sorry, I cannot help.')).toMatchObject({
      ok: false,
      error: { code: 'invalid_response' },
    });
    expect(parseNarrativeText('{"headline": 1}')).toMatchObject({
      ok: false,
      error: { code: 'invalid_response' },
    });
  });
});

describe('narrativeFromRules', () => {
  it('turns findings into a valid narrative, and an empty outcome into a calm one', () => {
    const outcome: RuleOutcome = {
      findings: [
        {
          rule: 'dead_webhooks',
          severity: 'critical',
          title: '2 dead',
          evidence: [],
          recommendation: 'replay',
        },
        {
          rule: 'period_change',
          severity: 'positive',
          title: 'MRR rose',
          evidence: [],
          recommendation: 'repeat',
        },
      ],
      skipped: [{ rule: 'activation_low', reason: 'no data' }],
    };
    const n = narrativeFromRules(outcome);
    expect(narrativeSchema.parse(n)).toEqual(n);
    expect(n).toMatchObject({ headline: '2 dead', risks: ['2 dead'], highlights: ['MRR rose'] });
    expect(n.recommendations).toEqual([{ title: '2 dead', detail: 'replay', priority: 'high' }]);
    expect(n.summary).toBe('1 issue (1 critical), 1 improvement and 0 notes. 1 rule(s) had no data.');
    expect(narrativeFromRules({ findings: [], skipped: [] }).headline).toMatch(/No rule fired/);
  });
});
