import { z } from 'zod';

export type EnvShape = Record<string, z.ZodType>;

export interface EnvIssue {
  variable: string;
  problem: string;
  purpose: string;
}

/** Every missing or invalid variable at once, each with what it is for, so one run shows the whole fix. */
export class EnvError extends Error {
  readonly code = 'invalid_env' as const;
  constructor(readonly issues: EnvIssue[]) {
    super(
      [
        `Invalid environment: ${issues.length} problem${issues.length === 1 ? '' : 's'}`,
        ...issues.map((i) => `  - ${i.variable}: ${i.problem}${i.purpose ? ` (${i.purpose})` : ''}`),
        'See .env.example for every variable and its default.',
      ].join('\n'),
    );
    this.name = 'EnvError';
  }
}

type Source = Record<string, string | undefined>;

/**
 * Parses the variables a caller declares from `source` (an app passes `process.env`).
 * Empty strings count as unset, the way shells and .env files usually mean them.
 */
export function readEnv<S extends EnvShape>(shape: S, source: Source): z.infer<z.ZodObject<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data as z.infer<z.ZodObject<S>>;
  const issues: EnvIssue[] = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(unknown)');
    const purpose = shape[variable]?.description ?? '';
    const problem = input[variable] === undefined ? 'is required but not set' : issue.message;
    return { variable, problem, purpose };
  });
  throw new EnvError(issues);
}

/** Name, purpose and whether a variable is optional, for docs and `--help`. */
export function describeEnv(shape: EnvShape): { variable: string; purpose: string; optional: boolean }[] {
  return Object.entries(shape).map(([variable, schema]) => ({
    variable,
    purpose: schema.description ?? '',
    optional: schema.safeParse(undefined).success,
  }));
}
