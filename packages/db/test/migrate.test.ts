import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DbError, migrate, migrationStatus } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.drop()));
});

async function emptyDb() {
  const db = await createTestDatabase(undefined, { empty: true });
  opened.push(db);
  return db;
}

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'org-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

describe('migrate', () => {
  it('applies files in lexical order, each recorded with its checksum', async () => {
    const db = await emptyDb();
    const dir = migrationsDir({
      '20260102000000_second.sql': "insert into steps (name) values ('second');",
      '20260101000000_first.sql':
        "create table steps (id serial primary key, name text); insert into steps (name) values ('first');",
      'README.md': 'not a migration',
    });
    const result = await migrate(db.pool, { dir });
    expect(result.applied.map((a) => a.name)).toEqual([
      '20260101000000_first.sql',
      '20260102000000_second.sql',
    ]);
    const { rows } = await db.pool.query('select name from steps order by id');
    expect(rows.map((r) => r.name)).toEqual(['first', 'second']);
    const status = await migrationStatus(db.pool, dir);
    expect(status.pending).toHaveLength(0);
    expect(status.applied.map((a) => a.checksum)).toEqual(
      status.applied.map(() => expect.stringMatching(/^[0-9a-f]{64}$/)),
    );
  });

  it('is idempotent: a second run applies nothing', async () => {
    const db = await emptyDb();
    const dir = migrationsDir({ '1_a.sql': 'create table a (id int);' });
    await migrate(db.pool, { dir });
    const again = await migrate(db.pool, { dir });
    expect(again).toMatchObject({ applied: [], alreadyApplied: 1, bootstrapped: false });
  });

  it('refuses an applied file that was edited, naming it', async () => {
    const db = await emptyDb();
    const dir = migrationsDir({
      '1_a.sql': 'create table a (id int);',
      '2_b.sql': 'create table b (id int);',
    });
    await migrate(db.pool, { dir });
    writeFileSync(path.join(dir, '2_b.sql'), 'create table b (id bigint);');
    writeFileSync(path.join(dir, '3_c.sql'), 'create table c (id int);');
    const error = await migrate(db.pool, { dir }).catch((e) => e);
    expect(error).toBeInstanceOf(DbError);
    expect(error.code).toBe('migration_checksum_mismatch');
    expect(error.message).toContain('2_b.sql');
    const { rows } = await db.pool.query(`select to_regclass('public.c') as c`);
    expect(rows[0].c).toBeNull();
  });

  it('rolls back a failing file completely and stops before later files', async () => {
    const db = await emptyDb();
    const dir = migrationsDir({
      '1_ok.sql': 'create table ok (id int);',
      '2_broken.sql':
        'create table half (id int);\ninsert into half values (1);\nselect * from no_such_table;',
      '3_later.sql': 'create table later (id int);',
    });
    const error = await migrate(db.pool, { dir }).catch((e) => e);
    expect(error).toMatchObject({ code: 'migration_failed' });
    expect(error.message).toMatch(/2_broken\.sql failed at line 3: relation "no_such_table" does not exist/);
    const { rows } = await db.pool.query(
      `select to_regclass('public.ok') is not null as ok, to_regclass('public.half') is not null as half, to_regclass('public.later') is not null as later`,
    );
    expect(rows[0]).toEqual({ ok: true, half: false, later: false });
    const status = await migrationStatus(db.pool, dir);
    expect(status.applied.map((a) => a.name)).toEqual(['1_ok.sql']);
    expect(status.pending.map((p) => p.name)).toEqual(['2_broken.sql', '3_later.sql']);
  });

  it('lets two concurrent runners apply each file exactly once', async () => {
    const db = await emptyDb();
    const dir = migrationsDir({
      '1_counter.sql': 'create table runs (id serial primary key, at timestamptz default clock_timestamp());',
      '2_slow.sql': 'select pg_sleep(0.3); insert into runs default values;',
      '3_more.sql': 'insert into runs default values;',
    });
    const [a, b] = await Promise.all([migrate(db.pool, { dir }), migrate(db.pool, { dir })]);
    expect(a.applied.length + b.applied.length).toBe(3);
    const { rows } = await db.pool.query('select count(*)::int as n from runs');
    expect(rows[0].n).toBe(2);
  });
});
