import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliError } from '../src/exit-codes.ts';
import { dayFlag, flagName, instantFlag, intFlag, parseFlags, parseInstant } from '../src/flags.ts';

describe('the one date parser', () => {
  it.each([
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-01-31T12:30:00Z', '2026-01-31T12:30:00.000Z'],
    ['2026-01-31T12:30Z', '2026-01-31T12:30:00.000Z'],
    ['2026-01-31T12:30:00.250+02:00', '2026-01-31T10:30:00.250Z'],
  ])('reads %s as %s', (value, iso) => {
    expect(parseInstant(value)?.toISOString()).toBe(iso);
  });

  it.each([
    'yesterday',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-1-5',
    '2026-01-31T12:00:00', // no zone: it would depend on the machine's
    '2026-02-30T00:00:00Z',
    '31/01/2026',
    '',
  ])('refuses %j', (value) => {
    expect(parseInstant(value)).toBeNull();
  });
});

describe('flag schemas', () => {
  const schema = z.object({ asOf: instantFlag, days: intFlag(1, 30), date: dayFlag.optional() });

  it('converts valid flags', () => {
    expect(parseFlags(schema, { asOf: '2026-03-01', days: '7' })).toEqual({
      asOf: new Date('2026-03-01T00:00:00Z'),
      days: 7,
    });
  });

  it('names every bad flag in one usage error (exit 64)', () => {
    let error: unknown;
    try {
      parseFlags(schema, { asOf: 'soon', days: '0', date: '2026-02-30' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(64);
    expect((error as CliError).message.split('\n')).toEqual([
      '--as-of must be a date (YYYY-MM-DD) or an ISO instant, got "soon" (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)',
      '--days must be an integer from 1 to 30, got "0"',
      '--date must be a calendar date (YYYY-MM-DD), got "2026-02-30"',
    ]);
  });

  it.each(['-1', '0', '1.5', '1e3', 'ten', ' ', '31'])('intFlag(1, 30) refuses %j', (value) => {
    expect(intFlag(1, 30).safeParse(value).success).toBe(false);
  });

  it('names flags and positional arguments the way users type them', () => {
    expect(flagName('asOf')).toBe('--as-of');
    expect(flagName('pageSize')).toBe('--page-size');
    expect(flagName('rate', ['rate'])).toBe('<rate>');
  });
});
