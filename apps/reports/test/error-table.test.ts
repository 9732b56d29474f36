import { ledgerErrorCodes } from '@org/billing-ledger';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { type ErrorType, errorClasses, exitCodeFor, exitCodeTable } from '../src/error-table.ts';
import { CliError, ExitCode } from '../src/exit-codes.ts';

const validExitCodes = new Set<number>(Object.values(ExitCode));

/** An instance of each package error type with a given code (EnvError's code is fixed). */
function make(type: ErrorType, code: string): Error {
  if (type === 'EnvError')
    return new errorClasses.EnvError([{ variable: 'X', problem: 'is bad', purpose: '' }]);
  const Cls = errorClasses[type] as unknown as new (code: string, message: string) => Error;
  return new Cls(code, `a ${code} failure`);
}

describe('the CLI error-code table', () => {
  const entries = (Object.keys(exitCodeTable) as ErrorType[]).flatMap((type) =>
    Object.entries(exitCodeTable[type] as Record<string, number>).map(([code, exit]) => ({
      type,
      code,
      exit,
    })),
  );

  it.each(entries)('$type $code exits $exit with its own message, not a stack', ({ type, code, exit }) => {
    expect(validExitCodes.has(exit)).toBe(true);
    const error = make(type, code);
    expect((error as Error & { code: string }).code).toBe(code);
    const mapped = exitCodeFor(error);
    expect(mapped.code).toBe(exit);
    expect(mapped.message).toBe(error.message);
    expect(mapped.message).not.toMatch(/Unexpected error|\n\s+at /);
  });

  it('covers every error type of the packages and every ledger code', () => {
    expect(Object.keys(exitCodeTable).sort()).toEqual(
      [
        'CohortsError',
        'DbError',
        'EnvError',
        'InsightsError',
        'LedgerError',
        'LifecycleError',
        'MetricsError',
      ].sort(),
    );
    expect(Object.keys(exitCodeTable.LedgerError).sort()).toEqual([...ledgerErrorCodes].sort());
  });

  it('keeps verdicts and the CLI’s own errors, and calls anything else internal (70)', () => {
    expect(exitCodeFor(new CliError('bad flag', ExitCode.usage))).toEqual({ code: 64, message: 'bad flag' });
    const unknown = exitCodeFor(new TypeError('boom'));
    expect(unknown.code).toBe(70);
    expect(unknown.message).toMatch(/^Unexpected error: TypeError: boom/);
    // A package error with a code the table does not know (a newer package) is internal too.
    const Ledger = errorClasses.LedgerError as unknown as new (code: string, m: string) => Error;
    expect(exitCodeFor(new Ledger('brand_new_code', 'x')).code).toBe(70);
    expect(exitCodeFor(new CommanderError(1, 'commander.x', 'x')).code).toBe(70);
  });
});
