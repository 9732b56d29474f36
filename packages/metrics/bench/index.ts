/**
 * @org/metrics benchmarks (run with `pnpm --filter @org/metrics bench [-- --events N --ingest N]`):
 *  1. ingest: the Postgres transport (tracker, batched unnest inserts) vs a raw COPY of the same rows;
 *  2. HTTP ingest (createIngestHandler on node:http): saturation throughput (closed loop) and
 *     latency at a fixed offered rate (open loop, `--http-rate`, default 5,000 events/s);
 *  3. queries on a generated dataset (default 10M events) beside DuckDB on the same data:
 *     DAU/WAU/MAU for 90 days, 12x12 weekly retention, a 4-step funnel; answers must match; then
 *     the dashboard KPIs for 7/30/90 days. The dataset is kept in a database reused while the
 *     migrations and the generator are unchanged (bench/dataset.ts; `--regenerate` forces it).
 * Results: bench/results/metrics.json at the repo root.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { findRepoRoot } from '@org/db';
import { createTestDatabase } from '@org/db/testing';
import copyStreams from 'pg-copy-streams';
import { userRetention } from '../../cohorts/src/index.ts';
import { lifecycleSeries } from '../../lifecycle/src/index.ts';
import {
  activationRate,
  activeUsers,
  activeUsersSeries,
  coreActionSuccessRate,
  createApiKey,
  createIngestHandler,
  createTracker,
  enrichmentCatalog,
  featureUsage,
  funnel,
  postgresTransport,
  stickiness,
  topUsers,
  userCounts,
} from '../src/index.ts';
import { BENCH_APP, BENCH_END, benchDataset } from './dataset.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
const INGEST = arg('ingest', 1_000_000);
const EVENTS = arg('events', 10_000_000);
const HTTP_SECONDS = arg('http-seconds', 20);
const HTTP_CLIENTS = arg('http-clients', 4);
const HTTP_RATE = arg('http-rate', 5_000);
const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  generatedAt: new Date().toISOString(),
};
const log = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t0: number) => Math.round(performance.now() - t0);

// ---------------------------------------------------------------------------------------------
async function benchIngest() {
  const db = await createTestDatabase(undefined, { poolMax: 8 });
  try {
    const names = ['enrichment_started', 'enrichment_completed', 'export_created'] as const;
    const base = Date.parse('2026-06-01T00:00:00Z');
    const rows = Array.from({ length: INGEST }, (_, i) => ({
      id: randomUUID(),
      user: `u${i % 50_000}`,
      name: names[i % 3]!,
      at: new Date(base + (i % 2_500_000) * 1000),
      jobId: `j${i}`,
    }));
    const props = (r: (typeof rows)[number]) =>
      r.name === 'export_created'
        ? { format: 'csv' as const, rows: 100 }
        : r.name === 'enrichment_started'
          ? { jobId: r.jobId, source: 'csv' as const, records: 100 }
          : { jobId: r.jobId, source: 'csv' as const, records: 100, matched: 80, durationMs: 1000 };
    // Every table the rollup triggers write (the active-day rollups are cleared by their own
    // truncate triggers): the second run starts from the same empty state as the first.
    const reset = () =>
      db.pool.query(
        `truncate events, metrics_event_inbox, metrics_users, metrics_user_activity_daily, metrics_account_activity_daily,
           metrics_feature_subjects, metrics_feature_gaps, metrics_event_counts_daily, metrics_user_first_events`,
      );

    // Raw COPY of the same rows into the same table (the rollup trigger fires once for the COPY).
    const client = await db.pool.connect();
    const t0 = performance.now();
    const stream = client.query(
      copyStreams.from(
        'copy public.events (id, app, user_id, category, name, properties, occurred_at) from stdin',
      ),
    );
    await pipeline(
      Readable.from(
        (function* () {
          let chunk = '';
          for (const r of rows) {
            chunk += `${r.id}\tbench\t${r.user}\tfeature\t${r.name}\t${JSON.stringify(props(r))}\t${r.at.toISOString()}\n`;
            if (chunk.length > 1 << 20) {
              yield chunk;
              chunk = '';
            }
          }
          if (chunk) yield chunk;
        })(),
      ),
      stream,
    );
    const copyMs = ms(t0);
    client.release();

    // The tracker with the Postgres transport, same rows (validation + batching + unnest insert),
    // in both modes: straight into events (the default) and through the event inbox. The clock
    // stops when shutdown() has returned, i.e. when every row is in events and the rollups.
    const transportRun = async (mode: 'inbox' | 'direct') => {
      await reset();
      const tracker = createTracker({
        app: 'bench',
        catalog: enrichmentCatalog,
        transport: postgresTransport({ pool: db.pool, mode }),
        batchSize: 1000,
        concurrency: 4,
        maxQueue: 200_000,
      });
      const t = performance.now();
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        tracker.track(r.name, props(r) as never, { id: r.id, userId: r.user, occurredAt: r.at });
        if (i % 100_000 === 99_999) await tracker.flush();
      }
      await tracker.shutdown();
      const elapsed = ms(t);
      const { rows: check } = await db.pool.query(
        `select (select count(*)::int from events) as stored, (select count(*)::int from metrics_event_inbox) as left_in_inbox`,
      );
      const st = tracker.stats();
      if (check[0].stored !== INGEST || check[0].left_in_inbox !== 0)
        throw new Error(
          `transport (${mode}) stored ${check[0].stored} of ${INGEST} (${check[0].left_in_inbox} left in the inbox)`,
        );
      return {
        mode,
        ms: elapsed,
        eventsPerSecond: Math.round(INGEST / (elapsed / 1000)),
        inserted: st.inserted,
        dropped: st.dropped,
        failed: st.failed,
        batchSize: 1000,
        concurrency: 4,
      };
    };
    const direct = await transportRun('direct');
    const inbox = await transportRun('inbox');
    const copyRate = Math.round(INGEST / (copyMs / 1000));
    results.ingest = {
      rows: INGEST,
      copy: { ms: copyMs, eventsPerSecond: copyRate },
      postgresTransport: direct,
      postgresTransportInbox: inbox,
      ratioToCopy: Math.round((direct.eventsPerSecond / copyRate) * 100) / 100,
      inboxRatioToCopy: Math.round((inbox.eventsPerSecond / copyRate) * 100) / 100,
      target: '>= 0.5 of COPY',
    };
    log(
      `ingest ${INGEST}: COPY ${copyMs} ms (${copyRate}/s); Postgres transport ${direct.ms} ms (${direct.eventsPerSecond}/s) = ${Math.round((direct.eventsPerSecond / copyRate) * 100)}% of COPY; through the inbox ${inbox.ms} ms (${inbox.eventsPerSecond}/s) = ${Math.round((inbox.eventsPerSecond / copyRate) * 100)}%`,
    );
  } finally {
    await db.drop();
  }
}

// ---------------------------------------------------------------------------------------------
interface LoadOptions {
  url: string;
  key: string;
  mode: 'closed' | 'open';
  clients: number;
  seconds: number;
  perRequest: number;
  /** Events per second offered (open loop). */
  rate: number;
  /** First event number (distinct ids and users per phase). */
  offset: number;
}
interface LoadResult {
  seconds: number;
  requests: number;
  errors: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

// The HTTP load generator runs in its own thread (its own event loop), as a remote client would.
const LOAD_WORKER = `
const { parentPort, workerData: o } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const base = Date.parse('2026-06-01T00:00:00Z');
let n = o.offset;
const body = () => {
  const events = [];
  for (let i = 0; i < o.perRequest; i++) {
    n++;
    events.push({ id: randomUUID(), name: 'export_created', category: 'feature', userId: 'h' + (n % 20000),
      properties: { format: 'csv', rows: 1 }, occurredAt: new Date(base + n * 100).toISOString() });
  }
  return JSON.stringify({ events });
};
const headers = { 'content-type': 'application/json', authorization: 'Bearer ' + o.key };
const latencies = [];
let events = 0, errors = 0;
async function send(payload, startedAt) {
  try {
    const res = await fetch(o.url, { method: 'POST', headers, body: payload });
    await res.text();
    if (res.ok) events += o.perRequest; else errors++;
  } catch { errors++; }
  latencies.push(performance.now() - startedAt);
}
(async () => {
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;
  if (o.mode === 'closed') {
    await Promise.all(Array.from({ length: o.clients }, async () => {
      while (performance.now() < deadline) await send(body(), performance.now());
    }));
  } else {
    const interval = (1000 * o.perRequest) / o.rate;
    const inflight = [];
    for (let i = 0; ; i++) {
      const at = t0 + i * interval;
      if (at >= deadline) break;
      const payload = body();
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(send(payload, at));
    }
    await Promise.all(inflight);
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) / 10;
  parentPort.postMessage({ seconds: Math.round(seconds * 10) / 10, requests: latencies.length, errors,
    eventsPerSecond: Math.round(events / seconds), latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) } });
})();
`;

function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: options });
    worker.once('message', (m: LoadResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

async function benchHttp() {
  const db = await createTestDatabase(undefined, { poolMax: 10 });
  const { key } = await createApiKey(db.pool, { app: 'bench', name: 'bench' });
  // The load is dated from 2026-06-01 on, 100 ms apart: a fixed clock keeps it inside the ingest
  // window whenever the benchmark runs.
  const handler = createIngestHandler({ pool: db.pool, now: () => new Date('2026-06-20T00:00:00Z') });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await handler(
      new Request(`http://x${req.url}`, {
        method: req.method ?? 'POST',
        headers,
        body: Buffer.concat(chunks),
      }),
      { remoteAddress: req.socket.remoteAddress },
    );
    res.writeHead(response.status, { 'content-type': 'application/json' });
    res.end(await response.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  try {
    const perRequest = 100;
    // A phase's events count as ingested once drained into events: the backlog left in the inbox
    // when the load stops is drained before the next phase, and its time counts in `sustained`.
    const settle = async (load: LoadResult) => {
      const { rows } = await db.pool.query(`select count(*)::int as n from metrics_event_inbox`);
      const t = performance.now();
      await handler.drainer.drain();
      const drainTailMs = ms(t);
      return {
        backlogAtEnd: rows[0].n as number,
        drainTailMs,
        sustainedEventsPerSecond: Math.round(
          (load.eventsPerSecond * load.seconds) / (load.seconds + drainTailMs / 1000),
        ),
      };
    };
    // Warm-up (JIT, the key cache, the partition check), not measured.
    await settle(
      await runLoad({ url, key, mode: 'closed', clients: 2, seconds: 1, perRequest, rate: 0, offset: 0 }),
    );
    // 1. Saturation: closed loop, each client sends its next batch when the previous one is answered.
    const closed = await runLoad({
      url,
      key,
      mode: 'closed',
      clients: HTTP_CLIENTS,
      seconds: HTTP_SECONDS,
      perRequest,
      rate: 0,
      offset: 1_000_000,
    });
    const closedDrain = await settle(closed);
    // 2. The target rate, open loop: a batch leaves every perRequest / rate seconds whether or not
    //    earlier ones were answered; latency counts from the scheduled send (no coordinated omission).
    const paced = await runLoad({
      url,
      key,
      mode: 'open',
      clients: 0,
      seconds: HTTP_SECONDS,
      perRequest,
      rate: HTTP_RATE,
      offset: 2_000_000,
    });
    const pacedDrain = await settle(paced);
    const summary = (r: LoadResult) => ({
      seconds: r.seconds,
      requests: r.requests,
      errors: r.errors,
      eventsPerSecond: r.eventsPerSecond,
      latencyMs: r.latencyMs,
    });
    results.http = {
      eventsPerRequest: perRequest,
      saturation: { clients: HTTP_CLIENTS, ...summary(closed), ...closedDrain },
      atTargetRate: { offeredEventsPerSecond: HTTP_RATE, ...summary(paced), ...pacedDrain },
      note: 'load generator (a worker thread) and server share the machine with Postgres; the server is createIngestHandler on node:http, answering once a batch is in the event inbox, with its drainer moving batches into events meanwhile',
      target: '>= 5,000 events/s, p99 <= 50 ms',
    };
    log(
      `http saturation (${HTTP_CLIENTS} clients, closed loop): ${closed.eventsPerSecond} events/s over ${closed.requests} requests of ${perRequest}; p50 ${closed.latencyMs.p50} ms, p99 ${closed.latencyMs.p99} ms; ${closed.errors} errors; inbox backlog ${closedDrain.backlogAtEnd} drained in ${closedDrain.drainTailMs} ms: sustained ${closedDrain.sustainedEventsPerSecond} events/s into events`,
    );
    log(
      `http at ${HTTP_RATE} events/s (open loop): ${paced.eventsPerSecond} events/s over ${paced.requests} requests; p50 ${paced.latencyMs.p50} ms, p95 ${paced.latencyMs.p95} ms, p99 ${paced.latencyMs.p99} ms, max ${paced.latencyMs.max} ms; ${paced.errors} errors; inbox backlog ${pacedDrain.backlogAtEnd} drained in ${pacedDrain.drainTailMs} ms`,
    );
  } finally {
    await new Promise((r) => server.close(r));
    await handler.drainer.close();
    await db.drop();
  }
}

// ---------------------------------------------------------------------------------------------
const END = BENCH_END;

async function benchQueries() {
  const data = await benchDataset({
    events: EVENTS,
    poolMax: 4,
    log,
    regenerate: process.argv.includes('--regenerate'),
  });
  const db = { pool: data.pool };
  const users = data.users;
  const generateMs = data.generateMs;
  log(
    `dataset ${data.name}: ${data.events.toLocaleString()} events, ${users.toLocaleString()} users, ${data.reused ? 'reused' : 'generated'} (generation took ${generateMs} ms)`,
  );
  // DuckDB's copy of the same rows (UTC timestamps without zone), kept beside the dataset.
  const duckDir = path.join(findRepoRoot(), '.data', 'bench');
  const duckFile = path.join(duckDir, `${data.name}-${data.token}.duckdb`);
  const csv = path.join(os.tmpdir(), `metrics-bench-${process.pid}.csv`);
  try {
    const t0 = performance.now();
    if (!existsSync(duckFile)) {
      await mkdir(duckDir, { recursive: true });
      for (const f of await readdir(duckDir))
        if (f.startsWith('org_bench_metrics_')) await rm(path.join(duckDir, f), { force: true });
      const client = await db.pool.connect();
      try {
        const out = client.query(
          copyStreams.to(
            `copy (select user_id, name, category, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') from events where app = '${BENCH_APP}') to stdout with (format csv)`,
          ),
        );
        await pipeline(out, createWriteStream(csv));
      } finally {
        client.release();
      }
      const building = await DuckDBInstance.create(`${duckFile}.tmp`);
      const c = await building.connect();
      await c.run(
        `create table events as select * from read_csv('${csv}', header = false, columns = {'user_id': 'VARCHAR', 'name': 'VARCHAR', 'category': 'VARCHAR', 'occurred_at': 'TIMESTAMP'})`,
      );
      await c.run('checkpoint');
      c.closeSync();
      building.closeSync();
      await rename(`${duckFile}.tmp`, duckFile);
      log(`duckdb copy built in ${ms(t0)} ms`);
    }
    const duck = await DuckDBInstance.create(duckFile, { access_mode: 'READ_ONLY' });
    const conn = await duck.connect();
    const duckRows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();

    const time = async <T>(fn: () => Promise<T>, runs = 3): Promise<{ value: T; ms: number }> => {
      let value: T | undefined;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        value = await fn();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { value: value as T, ms: Math.round(times[Math.floor(runs / 2)]!) };
    };

    const queries: Record<string, unknown> = {};
    // 1. DAU / WAU / MAU for the last 90 days.
    const from90 = new Date(Date.parse(END) - 90 * 86_400_000);
    const ours1 = await time(() =>
      activeUsersSeries(db.pool, { from: from90, to: new Date(END), app: 'bench' }),
    );
    const d0 = from90.toISOString().slice(0, 10);
    const d1 = new Date(Date.parse(END) - 86_400_000).toISOString().slice(0, 10);
    const duck1 = await time(() =>
      duckRows(`with a as (select distinct user_id, cast(occurred_at as date) as d from events where category <> 'system'),
                     days as (select cast(unnest(generate_series(date '${d0}', date '${d1}', interval 1 day)) as date) as g)
                select strftime(g, '%Y-%m-%d') as day,
                       count(distinct user_id) filter (where d = g) as dau,
                       count(distinct user_id) filter (where d > g - 7) as wau,
                       count(distinct user_id) filter (where d is not null) as mau
                from days left join a on a.d > g - 30 and a.d <= g group by g order by g`),
    );
    const norm1 = (rows: { day: unknown; dau: unknown; wau: unknown; mau: unknown }[]) =>
      rows.map((r) => `${r.day} ${Number(r.dau)} ${Number(r.wau)} ${Number(r.mau)}`);
    queries.activeUsers90d = compare(
      'DAU/WAU/MAU 90 days',
      ours1.ms,
      duck1.ms,
      norm1(ours1.value),
      norm1(duck1.value as never),
      1000,
    );

    // 2. 12 x 12 weekly retention ("on").
    const cohortFrom = '2026-01-05';
    const cohortTo = '2026-03-30';
    const ours2 = await time(() =>
      userRetention(db.pool, {
        granularity: 'week',
        mode: 'on',
        from: new Date(`${cohortFrom}T00:00:00Z`),
        to: new Date(`${cohortTo}T00:00:00Z`),
        asOf: new Date(END),
        app: 'bench',
        periods: 12,
      }),
    );
    const duck2 = await time(() =>
      duckRows(`with f as (
                  select user_id, coalesce(min(occurred_at) filter (where name = 'user_signed_up'), min(occurred_at)) as c from events group by user_id),
                u as (select user_id, cast(date_trunc('week', c) as date) as cs from f where c >= timestamp '${cohortFrom}' and c < timestamp '${cohortTo}'),
                act as (
                  select distinct u.cs, u.user_id, datediff('day', u.cs, cast(e.occurred_at as date)) // 7 as k
                  from u join events e on e.user_id = u.user_id
                  where e.category <> 'system' and cast(e.occurred_at as date) >= u.cs and e.occurred_at < timestamp '${END.slice(0, 10)}')
                select strftime(cs, '%Y-%m-%d') as cs, -1 as k, count(*) as n from u group by cs
                union all
                select strftime(cs, '%Y-%m-%d'), k, count(*) from act where k < 12 group by cs, k`),
    );
    const ours2Cells = ours2.value.cohorts
      .flatMap((c) => [
        `${c.cohortStart} size ${c.size}`,
        ...c.periods.map((p) => `${c.cohortStart} ${p.period} ${p.users}`),
      ])
      .sort();
    const duckSizes = new Map<string, number>();
    const duckCells = new Map<string, number>();
    for (const r of duck2.value as { cs: string; k: number; n: unknown }[]) {
      if (Number(r.k) === -1) duckSizes.set(r.cs, Number(r.n));
      else duckCells.set(`${r.cs} ${Number(r.k)}`, Number(r.n));
    }
    const duck2Cells = [...duckSizes.entries()]
      .flatMap(([cs, size]) => [
        `${cs} size ${size}`,
        ...Array.from({ length: 12 }, (_, k) => `${cs} ${k} ${duckCells.get(`${cs} ${k}`) ?? 0}`),
      ])
      .sort();
    queries.weeklyRetention12x12 = compare(
      '12x12 weekly retention',
      ours2.ms,
      duck2.ms,
      ours2Cells,
      duck2Cells,
      2000,
    );

    // 3. 4-step funnel, 14-day window.
    const steps = ['user_signed_up', 'enrichment_started', 'enrichment_completed', 'export_created'];
    const fFrom = '2026-03-01';
    const fTo = '2026-04-01';
    const ours3 = await time(() =>
      funnel(db.pool, {
        steps,
        from: new Date(`${fFrom}T00:00:00Z`),
        to: new Date(`${fTo}T00:00:00Z`),
        windowDays: 14,
        app: 'bench',
      }),
    );
    const duck3 = await time(() =>
      duckRows(`with s1 as (select user_id, min(occurred_at) as t1, min(occurred_at) as t from events
                            where name = '${steps[0]}' and occurred_at >= timestamp '${fFrom}' and occurred_at < timestamp '${fTo}' group by user_id),
                s2 as (select s.user_id, s.t1, min(e.occurred_at) as t, epoch(min(e.occurred_at)) - epoch(s.t) as dt from s1 s join events e
                       on e.user_id = s.user_id and e.name = '${steps[1]}' and e.occurred_at > s.t and e.occurred_at < s.t1 + interval 14 day group by s.user_id, s.t1, s.t),
                s3 as (select s.user_id, s.t1, min(e.occurred_at) as t, epoch(min(e.occurred_at)) - epoch(s.t) as dt from s2 s join events e
                       on e.user_id = s.user_id and e.name = '${steps[2]}' and e.occurred_at > s.t and e.occurred_at < s.t1 + interval 14 day group by s.user_id, s.t1, s.t),
                s4 as (select s.user_id, s.t1, min(e.occurred_at) as t, epoch(min(e.occurred_at)) - epoch(s.t) as dt from s3 s join events e
                       on e.user_id = s.user_id and e.name = '${steps[3]}' and e.occurred_at > s.t and e.occurred_at < s.t1 + interval 14 day group by s.user_id, s.t1, s.t)
                select 1 as step, count(*) as users, null::double as median from s1
                union all select 2, count(*), quantile_cont(dt, 0.5) from s2
                union all select 3, count(*), quantile_cont(dt, 0.5) from s3
                union all select 4, count(*), quantile_cont(dt, 0.5) from s4 order by 1`),
    );
    const norm3a = ours3.value.map(
      (s) =>
        `${s.step} ${s.users} ${s.medianSecondsFromPrevious === null ? '-' : s.medianSecondsFromPrevious.toFixed(3)}`,
    );
    const norm3b = (duck3.value as { step: unknown; users: unknown; median: unknown }[]).map(
      (r) =>
        `${Number(r.step)} ${Number(r.users)} ${r.median === null ? '-' : (Math.round(Number(r.median) * 1000) / 1000).toFixed(3)}`,
    );
    queries.funnel4Steps = compare('4-step funnel', ours3.ms, duck3.ms, norm3a, norm3b, 3000);

    // 4. The dashboard KPIs (what apps/admin calls) for the last 7/30/90 days, for the app and for
    //    all apps (no DuckDB twin; median of 3 runs each). A failing call is recorded, not fatal.
    const dashboard: Record<string, Record<string, number | string>> = {};
    for (const app of [BENCH_APP, undefined]) {
      for (const days of [7, 30, 90]) {
        const r = { from: new Date(Date.parse(END) - days * 86_400_000), to: new Date(END), app };
        const timed: [string, () => Promise<unknown>][] = [
          ['activeUsersSeries', () => activeUsersSeries(db.pool, r)],
          ['activeUsers', () => activeUsers(db.pool, { asOf: r.to, app })],
          ['stickiness', () => stickiness(db.pool, { asOf: r.to, app })],
          ['userCounts', () => userCounts(db.pool, r)],
          [
            'activationRate',
            () =>
              activationRate(db.pool, { ...r, activation: { event: 'enrichment_completed' }, asOf: r.to }),
          ],
          [
            'coreActionSuccessRate',
            () =>
              coreActionSuccessRate(db.pool, {
                ...r,
                completed: 'enrichment_completed',
                failed: 'enrichment_failed',
              }),
          ],
          ['featureUsage', () => featureUsage(db.pool, r)],
          ['topUsers', () => topUsers(db.pool, { ...r, limit: 10 })],
          [
            'funnel3Steps',
            () =>
              funnel(db.pool, {
                ...r,
                steps: ['user_signed_up', 'enrichment_completed', 'export_created'],
                windowDays: 14,
                asOf: r.to,
              }),
          ],
          ...(app
            ? ([
                ['lifecycleDay', () => lifecycleSeries(db.pool, { ...r, app, interval: 'day' })],
                ['lifecycleWeek', () => lifecycleSeries(db.pool, { ...r, app, interval: 'week' })],
              ] as [string, () => Promise<unknown>][])
            : []),
        ];
        const row: Record<string, number | string> = {};
        for (const [label, fn] of timed) {
          try {
            row[label] = (await time(fn)).ms;
          } catch (error) {
            row[label] = `failed: ${(error as Error).message}`;
          }
        }
        const scope = `${app ?? 'allApps'} ${days}d`;
        dashboard[scope] = row;
        log(
          `dashboard KPIs ${scope}: ${Object.entries(row)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
      }
    }
    queries.dashboardKpisMs = dashboard;
    queries.loadAverage = os.loadavg().map((l) => Math.round(l * 10) / 10);

    // Sizes other than the default are kept beside the 10M figures.
    const key = EVENTS === 10_000_000 ? 'queries' : `queries${Math.round(EVENTS / 1e5) / 10}M`;
    results[key] = { events: data.events, users, generateMs, ...queries };
    conn.closeSync();
  } finally {
    await rm(csv, { force: true });
    await data.pool.end();
  }
}

function compare(
  label: string,
  oursMs: number,
  duckMs: number,
  ours: string[],
  duck: string[],
  targetMs: number,
) {
  const match = ours.length === duck.length && ours.every((v, i) => v === duck[i]);
  const firstDiff = match ? null : ours.findIndex((v, i) => v !== duck[i]);
  log(
    `${label}: postgres ${oursMs} ms, duckdb ${duckMs} ms (${(oursMs / Math.max(1, duckMs)).toFixed(1)}x); answers ${match ? 'identical' : `DIFFER at ${firstDiff}: ${ours[firstDiff!]} vs ${duck[firstDiff!]}`} (${ours.length} values)`,
  );
  return {
    postgresMs: oursMs,
    duckdbMs: duckMs,
    ratio: Math.round((oursMs / Math.max(1, duckMs)) * 100) / 100,
    targetMs,
    identical: match,
    values: ours.length,
  };
}

const root = findRepoRoot();
if (!only || only === 'ingest') await benchIngest();
if (!only || only === 'http') await benchHttp();
if (!only || only === 'queries') await benchQueries();
const file = path.join(root, 'bench', 'results', 'metrics.json');
await mkdir(path.dirname(file), { recursive: true });
// A partial run (--only) keeps the other sections of an earlier run.
const previous: Record<string, unknown> = only
  ? await readFile(file, 'utf8').then(
      (t) => JSON.parse(t),
      () => ({}),
    )
  : {};
const sizes = {
  ...(previous.sizes as object | undefined),
  ...(!only || only === 'ingest' ? { ingest: INGEST } : {}),
  ...(!only || only === 'queries' ? { events: EVENTS } : {}),
  ...(!only || only === 'http' ? { httpSeconds: HTTP_SECONDS } : {}),
};
const loadAverage = os.loadavg().map((l) => Math.round(l * 10) / 10);
await writeFile(
  file,
  `${JSON.stringify({ ...previous, ...results, loadAverageAtEnd: loadAverage, sizes }, null, 2)}\n`,
);
log(`wrote ${file}`);
process.exit(0);
