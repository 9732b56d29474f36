import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  createPool,
  type DatabaseSettings,
  explainConnectionError,
  resolveDatabaseUrl,
  withDatabaseName,
} from './connect.ts';
import { migrate, schemaFingerprint } from './migrate.ts';

/**
 * Isolated databases for tests. The first caller on a server builds a migrated template
 * (`org_tpl_<fingerprint of the migrations>`); every test file then gets its own clone, which is
 * fast (a file copy) and dropped afterwards. Works on the embedded server and on DATABASE_URL.
 */
export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

const TEMPLATE_LOCK = 7_320_114_552;

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw explainConnectionError(error, url);
  }
  return client;
}

async function ensureTemplate(admin: pg.Client, serverUrl: string, migrationsDir?: string): Promise<string> {
  const template = `org_tpl_${schemaFingerprint(migrationsDir)}`;
  const exists = async () =>
    (await admin.query('select 1 from pg_database where datname = $1', [template])).rowCount === 1;
  if (await exists()) return template;
  await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    if (await exists()) return template;
    // Built under a temporary name and renamed when complete, so a crash never leaves a half-migrated template.
    const building = `${template}_build_${randomBytes(3).toString('hex')}`;
    await admin.query(`create database "${building}" template template0`);
    const pool = createPool(withDatabaseName(serverUrl, building), 2);
    try {
      await migrate(pool, migrationsDir ? { dir: migrationsDir } : {});
    } catch (error) {
      await pool.end();
      await admin.query(`drop database if exists "${building}" with (force)`);
      throw error;
    }
    await pool.end();
    await admin.query(`alter database "${building}" rename to "${template}"`);
    // Templates of older schemas are of no further use.
    const stale = await admin.query(
      `select datname from pg_database where datname like 'org\\_tpl\\_%' and datname <> $1`,
      [template],
    );
    for (const row of stale.rows)
      await admin.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    return template;
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

/** Resolves the server the tests use: DATABASE_URL if set, else the shared embedded server. */
export async function testServerUrl(settings: DatabaseSettings): Promise<string> {
  return (await resolveDatabaseUrl(settings)).url;
}

/** Builds the template once; call from vitest globalSetup so parallel files do not race for it. */
export async function prepareTestTemplate(settings: DatabaseSettings, migrationsDir?: string): Promise<void> {
  const url = await testServerUrl(settings);
  const admin = await adminClient(url);
  try {
    await ensureTemplate(admin, url, migrationsDir);
  } finally {
    await admin.end();
  }
}

/** The test run's server settings: DATABASE_URL when the run sets it, else the embedded server. */
export function testSettings(): DatabaseSettings {
  // biome-ignore lint/style/noProcessEnv: test support reads the runner's choice of server.
  const env = process.env;
  return { DATABASE_URL: env.DATABASE_URL || undefined, ORG_DATA_DIR: env.ORG_DATA_DIR || undefined };
}

export async function createTestDatabase(
  settings: DatabaseSettings = testSettings(),
  options: { migrationsDir?: string; poolMax?: number; empty?: boolean } = {},
): Promise<TestDatabase> {
  const serverUrl = await testServerUrl(settings);
  const admin = await adminClient(serverUrl);
  const name = `org_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    // `empty` gives a database with nothing applied, for tests of the migration runner itself.
    const template = options.empty
      ? 'template0'
      : await ensureTemplate(admin, serverUrl, options.migrationsDir);
    // Cloning needs the template to have no connections; retry briefly if another clone is copying.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        break;
      } catch (error) {
        if (attempt >= 50 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabaseName(serverUrl, name);
  const pool = createPool(url, options.poolMax ?? 10);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      const client = await adminClient(serverUrl);
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
