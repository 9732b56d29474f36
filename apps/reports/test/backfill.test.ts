import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeStripe,
  startFakeStripe,
} from '../../../packages/billing-ledger/test/support/fake-stripe.ts';
import { ledgerDump } from '../../../packages/billing-ledger/test/support/ledger-dump.ts';
import { runCli } from './support.ts';

const NOW = 1_763_700_000;
const AS_OF = new Date(NOW * 1000).toISOString();
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let fake: FakeStripe;
let reference: TestDatabase;
let killed: TestDatabase;
beforeAll(async () => {
  fake = await startFakeStripe({ now: NOW });
  fake.seed({ customers: 40, days: 120, seed: 21, events: false });
  [reference, killed] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await fake.close();
  await Promise.all([reference.drop(), killed.drop()]);
});

const envFor = (db: TestDatabase) => ({
  DATABASE_URL: db.url,
  STRIPE_SECRET_KEY: 'sk_test_backfill',
  STRIPE_API_BASE: fake.url,
});
const args = ['backfill', 'stripe', '--days', '90', '--page-size', '10', '--as-of', AS_OF];
const fast = ['backfill', 'stripe', '--days', '90', '--as-of', AS_OF];

describe('org-reports backfill stripe', () => {
  it('--dry-run writes nothing; a run prints its summary; a second run inserts nothing', async () => {
    const dry = await runCli([...fast, '--dry-run', '--json'], envFor(reference));
    expect(dry.code).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d).toMatchObject({ dryRun: true, runId: null });
    expect(d.totals.inserted).toBe(d.totals.listed);
    expect(
      (await reference.pool.query('select count(*)::int as n from public.stripe_customers')).rows[0].n,
    ).toBe(0);

    const run = await runCli(fast, envFor(reference));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Stripe backfill run \d+, last 90 days/);
    expect(run.stdout).toMatch(/total\s+\d+\s+\d+/);
    const again = await runCli([...fast, '--json'], envFor(reference));
    expect(JSON.parse(again.stdout).totals.inserted).toBe(0);
  });

  it('killed with SIGKILL mid-run, then --resume, ends in the same state as an uninterrupted run', {
    timeout: 120_000,
  }, async () => {
    fake.delay(40);
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        ['--conditions=@org/source', '--import', 'tsx', 'src/bin.ts', ...args],
        {
          cwd: appDir,
          env: { ...process.env, ...envFor(killed) },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) =>
        child!.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? -9 : _code)),
      );
      // Wait until some pages (but not all) have committed, then kill -9.
      for (let i = 0; i < 600; i++) {
        const { rows } = await killed.pool
          .query(`select coalesce(sum(inserted), 0)::int as n from public.stripe_backfill_cursors`)
          .catch(() => ({ rows: [{ n: 0 }] }));
        if (rows[0].n >= 60) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe(-9);
    } finally {
      fake.delay(0);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const { rows: runs } = await killed.pool.query('select status from public.stripe_backfill_runs');
    expect(runs).toEqual([{ status: 'running' }]);
    expect(await ledgerDump(killed.pool)).not.toEqual(await ledgerDump(reference.pool));

    const resumed = await runCli(['backfill', 'stripe', '--resume', '--json'], envFor(killed));
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, asOf: AS_OF, days: 90 });
    expect(await ledgerDump(killed.pool)).toEqual(await ledgerDump(reference.pool));
  });

  it('backfill events recovers the events of the last 30 days the inbox lacks, once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const customer = fake.all('customer')[0]!;
    const recent = [1, 2, 3].map((d) => fake.emit('customer.updated', customer, now - d * 86400));
    fake.emit('customer.updated', customer, now - 40 * 86400);
    const env = envFor(reference);
    const first = await runCli(['backfill', 'events', '--json'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.recovered.sort()).toEqual(recent.map((e) => e.id).sort());
    const { rows } = await reference.pool.query(
      `select count(*)::int as n from public.stripe_events where status = 'pending'`,
    );
    expect(rows[0].n).toBe(3);
    const again = JSON.parse((await runCli(['backfill', 'events', '--json'], env)).stdout);
    expect(again).toMatchObject({ recovered: [], alreadyReceived: 3 });
  });

  it('reports usage errors and a missing key', async () => {
    expect((await runCli(['backfill', 'stripe', '--days', 'x'], envFor(reference))).code).toBe(64);
    expect((await runCli(['backfill', 'stripe'], { DATABASE_URL: reference.url })).code).toBe(78);
  });
});
