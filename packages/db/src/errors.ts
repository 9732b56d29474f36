export type DbErrorCode =
  | 'invalid_database_url'
  | 'server_unreachable'
  | 'port_in_use'
  | 'data_dir_locked'
  | 'data_dir_corrupt'
  | 'embedded_start_failed'
  | 'migration_checksum_mismatch'
  | 'migration_failed'
  | 'migration_missing_file';

/** One error type for the database layer; `message` names the cause and the fix. */
export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DbError';
  }
}

export function isDbError(error: unknown): error is DbError {
  return error instanceof DbError;
}
