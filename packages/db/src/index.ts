export type { Pool, PoolClient } from 'pg';
export {
  type AdminCredentials,
  adminCredentialsPath,
  ensureAdminCredentials,
  hashAdminPassword,
  verifyAdminPassword,
} from './admin-credentials.ts';
export {
  connectClient,
  createPool,
  type Database,
  type DatabaseSettings,
  explainConnectionError,
  openDatabase,
  poolConfig,
  resolveDatabaseUrl,
  type TransactionOptions,
  withDatabaseName,
  withTransaction,
} from './connect.ts';
export {
  type EmbeddedServer,
  embeddedServerStatus,
  ensureEmbeddedServer,
  stopEmbeddedServer,
} from './embedded.ts';
export { DbError, type DbErrorCode, isDbError } from './errors.ts';
export {
  clearLoginFailures,
  defaultLoginThrottleLimits,
  type LoginSubject,
  type LoginThrottleLimits,
  type LoginThrottleState,
  loginThrottleState,
  recordLoginFailure,
} from './login-throttle.ts';
export {
  type AppliedMigration,
  type MigrateResult,
  type MigrationFile,
  type MigrationStatus,
  migrate,
  migrationStatus,
  readMigrations,
  schemaFingerprint,
} from './migrate.ts';
export { defaultDataDir, defaultMigrationsDir, findRepoRoot } from './paths.ts';
