/**
 * The generated query dataset of the benchmark, kept in a persistent database
 * `org_bench_metrics_<fingerprint>` on the test server. The fingerprint covers the migrations, the
 * generator below and the size, so a rerun with nothing changed reuses the data (seconds instead
 * of minutes); anything else builds a new one and drops the stale ones.
 *
 * Generation is set-based: chunks of `insert ... select ... from generate_series()` into an unlogged
 * staging table, then one INSERT into `events` in time order, so the production rollup trigger (a
 * statement trigger over the transition table) maintains every rollup exactly as it does for an
 * ingest batch, here one batch of the whole dataset. The indexes of `events` are dropped during
 * the load and rebuilt afterwards from their own definitions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createPool, schemaFingerprint, withDatabaseName } from '@org/db';
import { prepareTestTemplate, testServerUrl, testSettings } from '@org/db/testing';
import pg from 'pg';

export const BENCH_START = '2026-01-01T00:00:00Z';
export const BENCH_END = '2026-07-01T00:00:00Z';
export const BENCH_APP = 'bench';

/** Bump when the generator changes in a way the SQL text below does not show. */
const GENERATOR_VERSION = 5;

// Generated first into an unlogged staging table (no constraints, no triggers), then loaded into
// `events` by one INSERT in time order: the rollup trigger runs once over the whole dataset.
const STAGING_SQL = `create unlogged table bench_gen (id uuid, user_id text, category text, name text, occurred_at timestamptz)`;

const SIGNUPS_SQL = `insert into bench_gen
  select gen_random_uuid(), 'u' || u, 'lifecycle', 'user_signed_up',
         $2::timestamptz + (u - 1) * (($3::timestamptz - $2::timestamptz - interval '10 days') / $1) + random() * interval '20 hours'
  from generate_series(1, $1) as u`;

// Users are skewed towards low ids (power 1.3); each event falls after the user's signup day at an
// exponentially distributed delay (mean 30 days); 5% page views, the rest the enrichment product.
const EVENTS_SQL = `insert into bench_gen
  select gen_random_uuid(), 'u' || x.u, case when x.r < 0.05 then 'navigation' else 'feature' end,
         case when x.r < 0.05 then 'page_viewed' when x.r < 0.45 then 'enrichment_started' when x.r < 0.78 then 'enrichment_completed'
              when x.r < 0.81 then 'enrichment_failed' else 'export_created' end,
         t.at
  from (select 1 + floor(power(random(), 1.3) * $1)::int as u, random() as r, random() as d from generate_series(1, $2)) as x
  cross join lateral (
    select $3::timestamptz + (x.u - 1) * (($4::timestamptz - $3::timestamptz - interval '10 days') / $1) + interval '21 hours'
           + (-ln(1 - x.d) * interval '30 days') as at
  ) as t
  where t.at < $4`;

const LOAD_SQL = `insert into events (id, app, user_id, category, name, properties, occurred_at)
  select id, '${BENCH_APP}', user_id, category, name, '{}'::jsonb, occurred_at from bench_gen order by occurred_at, id`;

export interface BenchDataset {
  name: string;
  pool: pg.Pool;
  /** Random per generation: names caches derived from this data (the DuckDB copy). */
  token: string;
  events: number;
  users: number;
  generateMs: number;
  reused: boolean;
}

const CHUNK = 2_500_000;

export async function benchDataset(options: {
  events: number;
  poolMax?: number;
  log: (s: string) => void;
  /** Build afresh even when a matching dataset exists. */
  regenerate?: boolean;
}): Promise<BenchDataset> {
  const settings = testSettings();
  const serverUrl = await testServerUrl(settings);
  await prepareTestTemplate(settings);
  const schema = schemaFingerprint();
  const fp = createHash('sha256')
    .update(
      `${schema}\n${GENERATOR_VERSION}\n${STAGING_SQL}\n${SIGNUPS_SQL}\n${EVENTS_SQL}\n${LOAD_SQL}\n${CHUNK}\n${options.events}`,
    )
    .digest('hex')
    .slice(0, 12);
  const name = `org_bench_metrics_${fp}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let reused = true;
  try {
    const exists = async (db: string) =>
      (await admin.query('select 1 from pg_database where datname = $1', [db])).rowCount === 1;
    if (options.regenerate && (await exists(name))) await admin.query(`drop database "${name}" with (force)`);
    if (!(await exists(name))) {
      reused = false;
      // Older datasets (other schema, generator or size) take gigabytes: drop them.
      const stale = await admin.query(
        `select datname from pg_database where datname like 'org\\_bench\\_metrics\\_%' and datname <> $1`,
        [name],
      );
      for (const r of stale.rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
      const building = `${name}_build`;
      await admin.query(`drop database if exists "${building}" with (force)`);
      await admin.query(`create database "${building}" template "org_tpl_${schema}"`);
      const pool = createPool(withDatabaseName(serverUrl, building), 2);
      try {
        await generate(pool, options.events, options.log);
      } finally {
        await pool.end();
      }
      await admin.query(`alter database "${building}" rename to "${name}"`);
    }
  } finally {
    await admin.end();
  }
  const pool = createPool(withDatabaseName(serverUrl, name), options.poolMax ?? 4);
  const { rows } = await pool.query<{ token: string; events: number; users: number; generate_ms: number }>(
    'select token, events, users, generate_ms from bench_dataset',
  );
  const meta = rows[0]!;
  return {
    name,
    pool,
    token: meta.token,
    events: meta.events,
    users: meta.users,
    generateMs: meta.generate_ms,
    reused,
  };
}

async function generate(pool: pg.Pool, events: number, log: (s: string) => void): Promise<void> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const users = Math.max(1000, Math.round(events / 100));
  const client = await pool.connect();
  try {
    // One serial plan per statement keeps random() reproducible after setseed().
    await client.query(
      `set max_parallel_workers_per_gather = 0; set work_mem = '256MB'; set maintenance_work_mem = '1GB'`,
    );
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `select i.relname as name, pg_get_indexdef(i.oid) as def
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
       where t.oid = 'public.events'::regclass and not x.indisprimary`,
    );
    const { rows: pk } = await client.query<{ name: string; def: string }>(
      `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
       where conrelid = 'public.events'::regclass and contype = 'p'`,
    );
    for (const i of indexes) await client.query(`drop index public."${i.name}"`);
    for (const c of pk) await client.query(`alter table public.events drop constraint "${c.name}"`);

    await client.query(STAGING_SQL);
    await client.query('select setseed(0.42)');
    await client.query(SIGNUPS_SQL, [users, BENCH_START, BENCH_END]);
    // Events drawn past the end of the range are dropped: draw again until the dataset, signups
    // included, holds exactly the requested number of events.
    for (let staged = users; staged < events; ) {
      const r = await client.query(EVENTS_SQL, [
        users,
        Math.min(CHUNK, events - staged),
        BENCH_START,
        BENCH_END,
      ]);
      staged += r.rowCount ?? 0;
      log(`  generated ${staged.toLocaleString()} events (${ms()} ms)`);
    }
    await client.query(LOAD_SQL);
    await client.query('drop table bench_gen');
    log(`  loaded into events, rollups maintained by the trigger (${ms()} ms)`);
    for (const c of pk) await client.query(`alter table public.events add constraint "${c.name}" ${c.def}`);
    // The definition of a partitioned index reads `ON ONLY public.events`: built on every partition here.
    for (const i of indexes) await client.query(i.def.replace(' ON ONLY ', ' ON '));
    log(`  indexes rebuilt (${ms()} ms)`);
    await client.query('vacuum (analyze)');
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from events where app = '${BENCH_APP}'`,
    );
    const generateMs = ms();
    await client.query(
      `create table bench_dataset as select $1::text as token, $2::int as events, $3::int as users, $4::int as generate_ms`,
      [randomBytes(6).toString('hex'), rows[0]!.n, users, generateMs],
    );
    log(
      `  dataset: ${rows[0]!.n.toLocaleString()} events, ${users.toLocaleString()} users in ${generateMs} ms`,
    );
  } finally {
    client.release();
  }
}
