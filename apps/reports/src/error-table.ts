import { LedgerError, type LedgerErrorCode } from '@org/billing-ledger';
import { CohortsError, type CohortsErrorCode } from '@org/cohorts';
import { EnvError } from '@org/config';
import { DbError, type DbErrorCode } from '@org/db';
import { InsightsError, type InsightsErrorCode } from '@org/insights';
import { LifecycleError, type LifecycleErrorCode } from '@org/lifecycle';
import { MetricsError, type MetricsErrorCode } from '@org/metrics';
import { CliError, ExitCode, type ExitCodeValue } from './exit-codes.ts';

const { usage, dataError, unavailable, internal, config } = ExitCode;

/**
 * The CLI's one table from error code to exit code, for every error type of every package.
 * `satisfies Record<Code, ...>` makes the compiler refuse a table that misses a code, so a code
 * added to a package fails the typecheck here until it has its exit code.
 */
export const exitCodeTable = {
  LedgerError: {
    invalid_signature: dataError,
    invalid_payload: dataError,
    payload_too_large: dataError,
    unsupported_object: dataError,
    invalid_input: usage,
    not_found: dataError,
    invalid_state: dataError,
    database_unavailable: unavailable,
    queue_unavailable: unavailable,
    handler_failed: dataError,
    missing_fx_rate: dataError,
    debt_limit_exceeded: dataError,
    idempotency_conflict: dataError,
    recharge_not_configured: config,
    stripe_error: unavailable,
    usage_source_error: unavailable,
  } satisfies Record<LedgerErrorCode, ExitCodeValue>,
  CohortsError: {
    invalid_query: usage,
  } satisfies Record<CohortsErrorCode, ExitCodeValue>,
  DbError: {
    invalid_database_url: config,
    server_unreachable: unavailable,
    port_in_use: unavailable,
    data_dir_locked: unavailable,
    data_dir_corrupt: dataError,
    embedded_start_failed: unavailable,
    migration_checksum_mismatch: dataError,
    migration_failed: dataError,
    migration_missing_file: dataError,
  } satisfies Record<DbErrorCode, ExitCodeValue>,
  EnvError: {
    invalid_env: config,
  } satisfies Record<EnvError['code'], ExitCodeValue>,
  InsightsError: {
    no_api_key: config,
    llm_disabled: config,
    timeout: unavailable,
    rate_limited: unavailable,
    overloaded: unavailable,
    server_error: unavailable,
    auth_failed: config,
    api_error: unavailable,
    unreachable: unavailable,
    invalid_response: unavailable,
    invalid_report: dataError,
  } satisfies Record<InsightsErrorCode, ExitCodeValue>,
  LifecycleError: {
    invalid_query: usage,
    missing_email: dataError,
    provider_rejected: dataError,
    provider_unavailable: unavailable,
    rate_limited: unavailable,
  } satisfies Record<LifecycleErrorCode, ExitCodeValue>,
  MetricsError: {
    invalid_event: dataError,
    invalid_batch: dataError,
    batch_too_large: dataError,
    unauthorized: config,
    forbidden: config,
    transport_failed: unavailable,
    queue_full: unavailable,
    invalid_query: usage,
  } satisfies Record<MetricsErrorCode, ExitCodeValue>,
} as const;

export type ErrorType = keyof typeof exitCodeTable;

/** The error types the table covers, by class (the key names its table). */
export const errorClasses = {
  LedgerError,
  CohortsError,
  DbError,
  EnvError,
  InsightsError,
  LifecycleError,
  MetricsError,
} as const satisfies Record<ErrorType, abstract new (...args: never[]) => Error>;

/** Exit code and message for anything a command threw: a known code gets its code, anything else 70. */
export function exitCodeFor(error: unknown): { code: ExitCodeValue; message: string } {
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  for (const [type, cls] of Object.entries(errorClasses) as [ErrorType, (typeof errorClasses)[ErrorType]][]) {
    if (!(error instanceof cls)) continue;
    const table: Record<string, ExitCodeValue> = exitCodeTable[type];
    const code = table[(error as Error & { code: string }).code];
    if (code !== undefined) return { code, message: error.message };
  }
  const e = error as Error;
  return { code: internal, message: `Unexpected error: ${e?.stack ?? String(error)}` };
}
