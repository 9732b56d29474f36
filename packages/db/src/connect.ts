import pg from 'pg';
import { type EmbeddedServer, ensureEmbeddedServer } from './embedded.ts';
import { DbError } from './errors.ts';
import { defaultDataDir } from './paths.ts';

/** What an app's composition root passes in after validating its env. */
export interface DatabaseSettings {
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_MAX?: number | undefined;
  ORG_DATA_DIR?: string | undefined;
  EMBEDDED_PG_PORT?: number | undefined;
}

export interface Database {
  pool: pg.Pool;
  url: string;
  source: 'database_url' | 'embedded';
  embedded?: EmbeddedServer;
  close(): Promise<void>;
}

// bigint columns hold money in minor units and counts; they fit a JS number far below 2^53.
const int8AsNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
};
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 && format !== 'binary') return int8AsNumber;
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept a union format argument.
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

/**
 * libpq semantics for sslmode: `require`/`prefer` encrypt without verifying the certificate (what
 * Supabase's pooler needs), `verify-ca`/`verify-full` verify it, `disable` or none means plain.
 */
export function poolConfig(url: string, max = 10): pg.PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new DbError(
      'invalid_database_url',
      'DATABASE_URL is not a valid URL. Expected postgres://user:password@host:5432/database.',
      { cause },
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbError(
      'invalid_database_url',
      `DATABASE_URL must start with postgres:// or postgresql://, not ${parsed.protocol}//.`,
    );
  }
  const sslmode = parsed.searchParams.get('sslmode');
  for (const key of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat'])
    parsed.searchParams.delete(key);
  let ssl: pg.PoolConfig['ssl'] = false;
  if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'allow' || sslmode === 'no-verify')
    ssl = { rejectUnauthorized: false };
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') ssl = { rejectUnauthorized: true };
  return {
    connectionString: parsed.toString(),
    ssl,
    max,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    types,
    application_name: 'org-telemetry',
  };
}

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool(poolConfig(url, max));
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** Maps a connection failure to a message that names the cause and the fix. */
export function explainConnectionError(error: unknown, url: string): DbError {
  const e = error as NodeJS.ErrnoException & { code?: string };
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {}
  if (
    e.code === 'ECONNREFUSED' ||
    e.code === 'ENOTFOUND' ||
    e.code === 'EAI_AGAIN' ||
    e.code === 'ETIMEDOUT' ||
    /timeout/i.test(e.message ?? '')
  ) {
    return new DbError(
      'server_unreachable',
      `Cannot reach Postgres at ${where} (${e.code ?? e.message}). Start that server, fix DATABASE_URL, or unset DATABASE_URL to use the embedded server.`,
      { cause: error },
    );
  }
  if (e.code === '28P01' || e.code === '28000') {
    return new DbError(
      'server_unreachable',
      `Postgres at ${where} refused the credentials in DATABASE_URL (${e.message}).`,
      { cause: error },
    );
  }
  if (e.code === '3D000') {
    return new DbError(
      'server_unreachable',
      `${e.message} at ${where}. Create it or point DATABASE_URL at an existing database.`,
      { cause: error },
    );
  }
  return new DbError('server_unreachable', `Cannot connect to Postgres at ${where}: ${e.message}`, {
    cause: error,
  });
}

/** DATABASE_URL when set, else the shared embedded server (started on first use). */
export async function resolveDatabaseUrl(
  settings: DatabaseSettings,
): Promise<{ url: string; source: Database['source']; embedded?: EmbeddedServer }> {
  if (settings.DATABASE_URL) {
    poolConfig(settings.DATABASE_URL);
    return { url: settings.DATABASE_URL, source: 'database_url' };
  }
  const embedded = await ensureEmbeddedServer({
    dataDir: settings.ORG_DATA_DIR ?? defaultDataDir(),
    port: settings.EMBEDDED_PG_PORT,
  });
  return { url: embedded.url, source: 'embedded', embedded };
}

export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const resolved = await resolveDatabaseUrl(settings);
  const pool = createPool(resolved.url, settings.DATABASE_POOL_MAX ?? 10);
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw explainConnectionError(error, resolved.url);
  }
  return {
    pool,
    url: resolved.url,
    source: resolved.source,
    ...(resolved.embedded ? { embedded: resolved.embedded } : {}),
    close: () => pool.end(),
  };
}

export interface TransactionOptions {
  /**
   * `durable` (default): the commit returns only once it is flushed to disk
   * (`synchronous_commit = on`), whatever the server's default; use it for every write behind an
   * acknowledgement. `async`: the commit may be lost in a server crash (all of it, never part);
   * only for derived work that is redone from durable inputs.
   */
  commit?: 'durable' | 'async';
}

// A client that loses its connection while checked out emits `error` on itself, not on the pool;
// without a listener that error is uncaught and ends the process.
const guarded = new WeakSet<pg.PoolClient>();
function guard(client: pg.PoolClient): pg.PoolClient {
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => {});
  }
  return client;
}

/** A client from the pool that survives losing its connection (the next query on it fails instead). */
export async function connectClient(pool: pg.Pool): Promise<pg.PoolClient> {
  return guard(await pool.connect());
}

/**
 * Runs `fn` in one transaction on one client; rolls back on any throw. Commits durably unless
 * `commit: 'async'`. A client whose connection broke is discarded rather than returned to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await connectClient(pool);
  let broken: Error | undefined;
  try {
    await client.query(
      options.commit === 'async'
        ? 'begin; set local synchronous_commit = off'
        : 'begin; set local synchronous_commit = on',
    );
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Another database on the same server as `url`. */
export function withDatabaseName(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
