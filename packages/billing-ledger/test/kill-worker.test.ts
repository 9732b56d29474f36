import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerQueue, parseEvent, receiveEvent, startQueue } from '../src/index.ts';
import { canonicalDump, simulateStripeEvents } from '../src/testing/index.ts';
import { applyEventDirect } from './support/ledger.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, '..');
let db: TestDatabase;
let reference: TestDatabase;
let queue: LedgerQueue;
const children: ChildProcess[] = [];
const events = simulateStripeEvents({
  seed: 21,
  customers: 30,
  start: Date.UTC(2026, 0, 1) / 1000,
  days: 150,
});

beforeAll(async () => {
  [db, reference] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await db.pool.query('create table test_effects (event_id text not null, pid integer not null)');
  queue = await startQueue(db.pool, { retry: { expireInSeconds: 2, retryDelaySeconds: 1 } });
  for (const e of events) {
    const p = parseEvent(e);
    if (!p.ok) throw p.error;
    await receiveEvent(db.pool, p.value, JSON.stringify(e));
  }
  for (const e of events) await applyEventDirect(reference.pool, e);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await queue?.stop();
  await Promise.all([db?.drop(), reference?.drop()]);
});

function spawnWorker(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@org/source', path.join(here, 'support/worker-child.ts')],
    {
      cwd: packageDir,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        EXPIRE_SECONDS: '2',
        MAINTENANCE_SECONDS: '1',
        SLOW_MS: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

const count = async (sql: string) => (await db.pool.query(sql)).rows[0].n as number;
async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kill -9 of a worker mid-batch', () => {
  it('after a restart every event is applied exactly once and the ledger matches an ordered run', async () => {
    const first = await spawnWorker();
    // Killed mid-batch: after 60 events, at a moment it holds jobs.
    await until(
      async () =>
        (await count(`select count(*)::int as n from public.stripe_events where status <> 'pending'`)) >=
          60 &&
        (await count(
          `select count(*)::int as n from pgboss.job where name = 'stripe-events' and state = 'active'`,
        )) > 0,
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const activeAfterKill = await count(
      `select count(*)::int as n from pgboss.job where name = 'stripe-events' and state = 'active'`,
    );
    const doneAfterKill = await count(
      `select count(*)::int as n from public.stripe_events where status <> 'pending'`,
    );
    expect(doneAfterKill).toBeLessThan(events.length);
    expect(activeAfterKill).toBeGreaterThan(0); // the killed worker held a batch in flight

    await spawnWorker();
    await until(async () => {
      await queue.boss.expire(); // what pg-boss maintenance does on its interval
      return (
        (await count(
          `select count(*)::int as n from public.stripe_events where status in ('pending', 'failed')`,
        )) === 0
      );
    }, 90_000);

    expect(
      await count(`select count(*)::int as n from public.stripe_events where status = 'processed'`),
    ).toBe(events.length);
    expect(
      await count(
        `select count(*)::int as n from (select event_id from test_effects group by event_id having count(*) <> 1) x`,
      ),
    ).toBe(0);
    expect(await count('select count(distinct event_id)::int as n from test_effects')).toBe(events.length);
    expect(await count('select count(distinct pid)::int as n from test_effects')).toBe(2);
    expect(await canonicalDump(db.pool)).toBe(await canonicalDump(reference.pool));
  }, 180_000);
});
