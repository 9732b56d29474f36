import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { DbError } from './errors.ts';
import { bootstrapSqlPath, defaultMigrationsDir } from './paths.ts';

export interface MigrationFile {
  name: string;
  checksum: string;
  sql: string;
}

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: MigrationFile[];
  /** Applied files whose content changed since, or that no longer exist. */
  drifted: { name: string; reason: 'checksum_mismatch' | 'missing_file' }[];
}

export interface MigrateResult {
  bootstrapped: boolean;
  applied: { name: string; durationMs: number }[];
  alreadyApplied: number;
}

// One key for every runner on a database: concurrent starts queue instead of racing.
const LOCK_KEY = 7_320_114_551;

const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');

/** `*.sql` files of the folder in lexical order (Supabase names them `<timestamp>_<name>.sql`). */
export function readMigrations(dir: string = defaultMigrationsDir()): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, checksum: checksum(sql) };
    });
}

/** Everything the schema is built from; test templates are keyed by it. */
export function schemaFingerprint(dir: string = defaultMigrationsDir()): string {
  const hash = createHash('sha256').update(readFileSync(bootstrapSqlPath(), 'utf8'));
  for (const m of readMigrations(dir)) hash.update(m.name).update(m.checksum);
  return hash.digest('hex').slice(0, 16);
}

const ensureTable = `
  create schema if not exists org_migrations;
  create table if not exists org_migrations.applied (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now(),
    duration_ms integer not null
  );
  revoke all on schema org_migrations from public;
`;

async function appliedMigrations(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query(`select to_regclass('org_migrations.applied') is not null as ok`);
  if (!exists.rows[0].ok) return [];
  const { rows } = await client.query(
    'select name, checksum, applied_at as "appliedAt", duration_ms as "durationMs" from org_migrations.applied order by name',
  );
  return rows;
}

function compare(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus {
  const byName = new Map(files.map((f) => [f.name, f]));
  const done = new Set(applied.map((a) => a.name));
  const drifted: MigrationStatus['drifted'] = [];
  for (const a of applied) {
    const file = byName.get(a.name);
    if (!file) drifted.push({ name: a.name, reason: 'missing_file' });
    else if (file.checksum !== a.checksum) drifted.push({ name: a.name, reason: 'checksum_mismatch' });
  }
  return { applied, pending: files.filter((f) => !done.has(f.name)), drifted };
}

export async function migrationStatus(pool: pg.Pool, dir?: string): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    return compare(readMigrations(dir), await appliedMigrations(client));
  } finally {
    client.release();
  }
}

async function needsBootstrap(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query(
    `select to_regprocedure('auth.uid()') is null
         or not exists (select 1 from pg_roles where rolname = 'service_role') as missing`,
  );
  return rows[0].missing;
}

/**
 * Applies pending migrations, each file in its own transaction together with its record, under a
 * session advisory lock. Refuses to run when an applied file was edited: the schema would no longer
 * be what the files say.
 */
export async function migrate(
  pool: pg.Pool,
  options: { dir?: string; onApplied?: (name: string, ms: number) => void } = {},
): Promise<MigrateResult> {
  const files = readMigrations(options.dir);
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    let bootstrapped = false;
    if (await needsBootstrap(client)) {
      await inTransaction(client, 'supabase-bootstrap.sql', readFileSync(bootstrapSqlPath(), 'utf8'));
      bootstrapped = true;
    }
    await client.query(ensureTable);
    const status = compare(files, await appliedMigrations(client));
    const edited = status.drifted.filter((d) => d.reason === 'checksum_mismatch');
    if (edited.length > 0) {
      throw new DbError(
        'migration_checksum_mismatch',
        `Migration ${edited.map((d) => d.name).join(', ')} was edited after it was applied. Restore the file and add a new migration for the change instead.`,
      );
    }
    const missing = status.drifted.filter((d) => d.reason === 'missing_file');
    if (missing.length > 0) {
      throw new DbError(
        'migration_missing_file',
        `Migration ${missing.map((d) => d.name).join(', ')} is recorded as applied but its file is gone from supabase/migrations. Restore it.`,
      );
    }
    const applied: MigrateResult['applied'] = [];
    for (const file of status.pending) {
      const started = performance.now();
      await inTransaction(client, file.name, file.sql, async () => {
        const ms = Math.round(performance.now() - started);
        await client.query(
          'insert into org_migrations.applied (name, checksum, duration_ms) values ($1, $2, $3)',
          [file.name, file.checksum, ms],
        );
      });
      const ms = Math.round(performance.now() - started);
      applied.push({ name: file.name, durationMs: ms });
      options.onApplied?.(file.name, ms);
    }
    return { bootstrapped, applied, alreadyApplied: status.applied.length };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

async function inTransaction(
  client: pg.ClientBase,
  name: string,
  sql: string,
  after?: () => Promise<void>,
): Promise<void> {
  await client.query('begin');
  try {
    await client.query(sql);
    await after?.();
    await client.query('commit');
  } catch (cause) {
    await client.query('rollback').catch(() => {});
    if (cause instanceof DbError) throw cause;
    const e = cause as { message?: string; position?: string; where?: string };
    const line = e.position ? ` at line ${sql.slice(0, Number(e.position)).split('\n').length}` : '';
    throw new DbError(
      'migration_failed',
      `Migration ${name} failed${line}: ${e.message}. It was rolled back; nothing of it is applied. Fix the file and run migrate again.`,
      { cause },
    );
  }
}
