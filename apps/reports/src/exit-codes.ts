/**
 * Exit codes, documented in the README. 1 and 2 are verdicts (audit WARN / FAIL), not crashes;
 * the others follow sysexits.h so scripts can tell bad input from a broken environment.
 */
export const ExitCode = {
  ok: 0,
  warn: 1,
  fail: 2,
  usage: 64,
  dataError: 65,
  unavailable: 69,
  internal: 70,
  config: 78,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure a command reports with its own exit code and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
