import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeEnv, EnvError, readEnv } from './read-env.ts';
import * as envSchemas from './schemas.ts';

describe('readEnv', () => {
  const shape = {
    API_URL: z.url().describe('Where the API lives'),
    PORT: z.coerce.number().int().min(1).max(65535).default(8787).describe('Listen port'),
    TOKEN: z.string().min(8).describe('API token'),
    OPTIONAL: z.string().optional().describe('Something optional'),
  };

  it('parses, coerces and applies defaults', () => {
    expect(readEnv(shape, { API_URL: 'http://x.test', TOKEN: 'abcdefgh' })).toEqual({
      API_URL: 'http://x.test',
      PORT: 8787,
      TOKEN: 'abcdefgh',
    });
    expect(readEnv(shape, { API_URL: 'http://x.test', TOKEN: 'abcdefgh', PORT: '9000' }).PORT).toBe(9000);
  });

  it('lists every missing and invalid variable at once, each with its purpose', () => {
    const error = (() => {
      try {
        readEnv(shape, { API_URL: 'not a url', PORT: '70000', OPTIONAL: '' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EnvError);
    const issues = (error as EnvError).issues;
    expect(issues.map((i) => i.variable).sort()).toEqual(['API_URL', 'PORT', 'TOKEN']);
    expect(issues.find((i) => i.variable === 'TOKEN')).toEqual({
      variable: 'TOKEN',
      problem: 'is required but not set',
      purpose: 'API token',
    });
    expect((error as Error).message).toMatch(/^Invalid environment: 3 problems\n/);
    expect((error as Error).message).toContain('  - API_URL: Invalid URL (Where the API lives)');
  });

  it('treats empty strings as unset', () => {
    expect(() => readEnv(shape, { API_URL: 'http://x.test', TOKEN: '   ' })).toThrow(
      /TOKEN: is required but not set/,
    );
  });
});

describe('project env schemas', () => {
  const all = Object.assign({}, ...Object.values(envSchemas)) as Record<string, z.ZodType>;

  it('validates DATABASE_URL and Stripe secrets with actionable messages', () => {
    expect(() => readEnv(envSchemas.database, { DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: must be a URL like postgres:\/\//,
    );
    expect(() => readEnv(envSchemas.stripe, { STRIPE_WEBHOOK_SECRET: 'whsec_a,oops' })).toThrow(
      /one or more whsec_/,
    );
    expect(
      readEnv(envSchemas.stripe, { STRIPE_WEBHOOK_SECRET: 'whsec_a,whsec_b' }).STRIPE_WEBHOOK_SECRET,
    ).toBe('whsec_a,whsec_b');
  });

  it('reads MRR_GOAL in major units, with no goal by default', () => {
    const goal = (value?: string) => readEnv(envSchemas.reporting, { MRR_GOAL: value }).MRR_GOAL;
    expect(goal()).toBeUndefined();
    expect(goal('')).toBeUndefined();
    expect(goal('50000')).toBe(50_000);
    expect(goal(' 1250.50 ')).toBe(1250.5);
    for (const bad of ['0', '-5', '5e4', '$500', '1,000'])
      expect(() => goal(bad), bad).toThrow(/MRR_GOAL: must be/);
  });

  it('has every variable documented in .env.example with a purpose', () => {
    const example = readFileSync(path.join(import.meta.dirname, '../../../.env.example'), 'utf8');
    for (const { variable, purpose } of describeEnv(all)) {
      expect(purpose, variable).not.toBe('');
      expect(example, `${variable} missing from .env.example`).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
    }
  });
});
