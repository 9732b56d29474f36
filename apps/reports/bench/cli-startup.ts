/**
 * Start-up time of the org-reports CLI (`pnpm --filter @org/reports bench`): whole processes, from
 * spawn to exit, as a shell or a CI step runs them. Each command runs BENCH_RUNS times (default 15)
 * after 2 warm-ups (the first db command may start the embedded server); the median, min and max
 * wall times go to bench/results/cli-startup.json at the repo root, with the machine's load.
 *
 * Commands: `--help` through the bundle and through the bin (the bin also checks that the bundle is
 * newer than its sources), `db status --json` (connects and reads the migration table; the
 * embedded server, or DATABASE_URL), and for comparison the way the CLI ran before it was built:
 * TypeScript transpiled by tsx at every call.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain JavaScript build script without declarations
import { ensureBuilt } from '../scripts/build.mjs';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(appDir, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;

await ensureBuilt();

const cases: { name: string; argv: string[] }[] = [
  { name: 'bundle --help', argv: ['node', 'apps/reports/dist/bin.js', '--help'] },
  { name: 'bin --help', argv: ['node', 'apps/reports/bin/org-reports.js', '--help'] },
  {
    name: 'bin db status --json',
    argv: ['node', 'apps/reports/bin/org-reports.js', 'db', 'status', '--json'],
  },
  {
    name: 'before: tsx src/bin.ts --help',
    argv: [
      path.join(appDir, 'node_modules/.bin/tsx'),
      '--conditions=@org/source',
      'apps/reports/src/bin.ts',
      '--help',
    ],
  },
];

function once(argv: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: process.env,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const results = [];
for (const c of cases) {
  for (let i = 0; i < WARMUP; i++) once(c.argv);
  const times = Array.from({ length: RUNS }, () => once(c.argv)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const row = {
    command: c.name,
    runs: RUNS,
    medianMs: Math.round(median),
    minMs: Math.round(times[0]!),
    maxMs: Math.round(times.at(-1)!),
  };
  results.push(row);
  process.stdout.write(
    `${c.name.padEnd(34)} median ${row.medianMs} ms (min ${row.minMs}, max ${row.maxMs})\n`,
  );
}

const file = path.join(root, 'bench/results/cli-startup.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(
  file,
  `${JSON.stringify(
    {
      measuredAt: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
      database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
      results,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`wrote ${path.relative(root, file)}\n`);
