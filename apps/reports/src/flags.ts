import { z } from 'zod';
import { CliError, ExitCode } from './exit-codes.ts';

/**
 * Flag validation for every command: commander splits the words, these zod schemas check and convert
 * the values, and `parseFlags` turns the first problems into one usage error (exit 64) that names
 * each flag. The CLI's one date parser is `parseInstant`.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// An instant needs its zone (Z or an offset): a bare local time would depend on the machine's zone.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** YYYY-MM-DD as midnight UTC, or an ISO instant with its zone; null for anything else (2026-02-30 too). */
export function parseInstant(value: string): Date | null {
  const day = DAY.exec(value);
  if (day) {
    const d = new Date(`${value}T00:00:00.000Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value ? null : d;
  }
  if (!INSTANT.test(value)) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  // Date rolls 2026-02-30T00:00Z over into March: the calendar date must exist as written.
  const [y, m, dd] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, dd));
  return check.getUTCMonth() === m - 1 && check.getUTCDate() === dd ? d : null;
}

/** Midnight UTC at the start of `now`'s day: the default "as of" (full days only). */
export const startOfUtcDay = (now: Date = new Date()) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

/** A date or instant flag (`--as-of`, `--from`, `--to`): a Date. */
export const instantFlag = z.string().transform((value, ctx) => {
  const d = parseInstant(value);
  if (d) return d;
  ctx.addIssue({
    code: 'custom',
    message: `must be a date (YYYY-MM-DD) or an ISO instant, got "${value}" (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`,
  });
  return z.NEVER;
});

/** `--as-of`: a date or instant; by default the start of today (UTC), so full days only. */
export const asOfFlag = instantFlag.optional().transform((d) => d ?? startOfUtcDay());

/** The one `--as-of` reading for commands that take it alone. */
export const parseAsOf = (value: string | undefined): Date =>
  parseFlags(z.object({ asOf: asOfFlag }), { asOf: value }).asOf;

/** A calendar day flag: the YYYY-MM-DD string, checked to exist. */
export const dayFlag = z.string().refine((value) => DAY.test(value) && parseInstant(value) !== null, {
  error: (issue) => `must be a calendar date (YYYY-MM-DD), got "${String(issue.input)}"`,
});

/** A month flag: YYYY-MM. */
export const monthFlag = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, {
  error: (issue) => `must be a month (YYYY-MM), got "${String(issue.input)}"`,
});

/** An integer flag within [min, max]. */
export const intFlag = (min: number, max: number) =>
  z.string().transform((value, ctx) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, got "${value}"` });
    return z.NEVER;
  });

/** A positive decimal number written in plain notation (an exchange rate). */
export const decimalFlag = z.string().refine((v) => /^\d+(\.\d+)?$/.test(v) && Number(v) > 0, {
  error: (issue) => `must be a positive decimal number like 1.0845, got "${String(issue.input)}"`,
});

/** A three-letter ISO currency code, lower-cased. */
export const currencyFlag = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => /^[a-z]{3}$/.test(v), {
    error: (issue) => `must be a 3-letter ISO currency code, got "${String(issue.input)}"`,
  });

/** `asOf` -> `--as-of`; positional arguments keep their name in angle brackets. */
export function flagName(key: string, positional: readonly string[] = []): string {
  if (positional.includes(key)) return `<${key}>`;
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Validates a command's flags (and positional arguments) against its schema; a usage error naming
 * every bad flag otherwise.
 */
export function parseFlags<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: { positional?: readonly string[] } = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path[0];
    return typeof key === 'string' ? `${flagName(key, options.positional)} ${issue.message}` : issue.message;
  });
  throw new CliError([...new Set(problems)].join('\n'), ExitCode.usage);
}
