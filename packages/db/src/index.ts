export type { Pool, PoolClient } from 'pg';
export {
  type AdminCredentials,
  adminCredentialsPath,
  ensureAdminCredentials,
  hashAdminPassword,
  verifyAdminPassword,
} from './admin-credentials.ts';
export {
  type AdminSession,
  adminSessionAccount,
  createAdminSession,
  revokeAdminSession,
  revokeAdminSessions,
} from './admin-sessions.ts';
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
  beginLoginAttempt,
  clearLoginFailures,
  defaultLoginThrottleLimits,
  type LoginAttempt,
  type LoginScope,
  type LoginSubject,
  type LoginThrottleLimits,
  loginDelaySeconds,
  loginThrottleKeys,
  loginThrottleState,
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
