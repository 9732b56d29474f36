import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credit, openWallet } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWallet } from '../src/wallet-check.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
});
afterAll(() => db.drop());

describe('org-reports keys', () => {
  it('creates a key shown once, lists keys without them, revokes once', async () => {
    const created = await runCli(['keys', 'create', '--app', 'web', '--name', 'web server', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string; app: string };
    expect(key).toMatchObject({ app: 'web', name: 'web server' });
    expect(key.key).toMatch(new RegExp(`^mk_${key.prefix}_[A-Za-z0-9_-]{20,}$`));
    const human = await runCli(['keys', 'create', '--app', 'web', '--name', 'cron'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/mk_[0-9a-f]{8}_\S+/);
    expect(human.stdout).toContain('shown this once');

    const list = await runCli(['keys', 'list', '--app', 'web', '--json'], env);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; name: string }[];
    expect(rows.map((r) => r.name).sort()).toEqual(['cron', 'web server']);
    const table = await runCli(['keys', 'list'], env);
    for (const out of [list.stdout, table.stdout]) {
      expect(out).not.toContain(key.key);
      expect(out).not.toMatch(/key_?hash/i);
    }
    expect(table.stdout).toContain(`mk_${key.prefix}_…`);

    const revoked = await runCli(['keys', 'revoke', key.id, '--json'], env);
    expect(revoked).toMatchObject({ code: 0 });
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: key.id });
    expect(await runCli(['keys', 'revoke', key.id], env)).toMatchObject({
      code: 65,
      stderr: expect.stringContaining(`No active ingest API key ${key.id}`),
    });
    const active = JSON.parse((await runCli(['keys', 'list', '--json'], env)).stdout) as { id: string }[];
    expect(active.map((r) => r.id)).not.toContain(key.id);
    const all = JSON.parse((await runCli(['keys', 'list', '--all', '--json'], env)).stdout) as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(all.find((r) => r.id === key.id)?.revokedAt).toBeTruthy();
  });

  it('refuses bad arguments with exit 64 before touching the database', async () => {
    const nowhere = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
    const badApp = await runCli(['keys', 'create', '--app', 'Web App', '--name', 'x'], nowhere);
    expect(badApp.code).toBe(64);
    expect(badApp.stderr).toContain('--app');
    expect((await runCli(['keys', 'create', '--app', 'web', '--name', ' '], nowhere)).code).toBe(64);
    expect((await runCli(['keys', 'create', '--app', 'web'], nowhere)).code).toBe(64);
    const badId = await runCli(['keys', 'revoke', 'abc'], nowhere);
    expect(badId.code).toBe(64);
    expect(badId.stderr).toContain('<id> must be a key id');
  });
});

describe('org-reports wallets check', () => {
  it('counts a check that errored as a failure, never a pass', () => {
    const wallet = { id: 'w1', ownerId: 'org_1', currency: 'usd' };
    const failed = checkWallet(wallet, {
      ok: false,
      error: Object.assign(new Error('no wallet w1'), { code: 'not_found' as const }) as never,
    });
    expect(failed).toMatchObject({ problem: 'error', error: 'no wallet w1', balance: null });
    expect(
      checkWallet(wallet, { ok: true, value: { balance: 5, journalBalance: 5, unbalancedTransactions: 0 } })
        .problem,
    ).toBeNull();
    expect(
      checkWallet(wallet, { ok: true, value: { balance: 6, journalBalance: 5, unbalancedTransactions: 0 } })
        .problem,
    ).toBe('mismatch');
  });

  it('passes consistent wallets and fails (exit 2) when a balance disagrees with its journal', async () => {
    for (const owner of ['org_a', 'org_b']) {
      const w = await openWallet(db.pool, { ownerId: owner, currency: 'usd' });
      if (!w.ok) throw w.error;
      await credit(db.pool, { walletId: w.value.id, amount: 1000, idempotencyKey: `seed-${owner}` });
    }
    const pass = await runCli(['wallets', 'check', '--json'], env);
    expect(pass.code).toBe(0);
    expect(JSON.parse(pass.stdout)).toMatchObject({ wallets: 2, ok: true, problems: [] });
    const show = await runCli(['wallets', 'show', 'org_a', '--json'], env);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).recent).toMatchObject([{ amount: 1000, balanceAfter: 1000 }]);

    await db.pool.query(`update public.wallets set balance = balance + 7 where owner_id = 'org_b'`);
    const fail = await runCli(['wallets', 'check', '--json'], env);
    expect(fail.code).toBe(2);
    expect(JSON.parse(fail.stdout)).toMatchObject({
      wallets: 2,
      ok: false,
      problems: [{ ownerId: 'org_b', problem: 'mismatch', balance: 1007, journalBalance: 1000 }],
    });
  });
});

describe('org-reports configuration and edges', () => {
  it('refuses an invalid cron setting at start with exit 78, naming the variable', async () => {
    const r = await runCli(['db', 'status'], { ...env, BILLING_AUDIT_CRON: '61 * * * *' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/BILLING_AUDIT_CRON: "61 \* \* \* \*" is not a valid cron expression/);
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect((await runCli(['db', 'status', '--json'], { ...env, BILLING_AUDIT_CRON: 'off' })).code).toBe(0);
  });

  it('db stop on a data folder that was never created: nothing to stop, exit 0', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'org-cli-nodata-'));
    try {
      const dir = path.join(parent, 'never-created');
      const r = await runCli(['db', 'stop'], { ORG_DATA_DIR: dir });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain('nothing to stop');
      const json = await runCli(['db', 'stop', '--json'], { ORG_DATA_DIR: dir });
      expect(JSON.parse(json.stdout)).toEqual({ stopped: false, reason: 'no data folder' });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it.each([
    [['cohorts', 'show', '--cohorts', '-1'], /--cohorts must be an integer from 1 to 520, got "-1"/],
    [['cohorts', 'show', '--cohorts', '0'], /--cohorts must be an integer/],
    [['cohorts', 'show', '--periods', '0'], /--periods must be an integer/],
    [['cohorts', 'show', '--as-of', '2026-02-30'], /--as-of must be a date/],
    [['lifecycle', 'show', '--periods', '0'], /--periods must be an integer/],
    [['revenue', '--from', '2026-01-01', '--to', 'soon'], /--to must be a date/],
    [['webhooks', 'list', '--limit', '0'], /--limit must be an integer/],
    [['webhooks', 'list', '--status', 'lost'], /--status must be one of/],
    [['fx', 'list', '--limit', 'x'], /--limit must be an integer/],
    [['demo', '--end', '2026-13-01', '--no-dashboard'], /--end must be a calendar date/],
  ])('%j exits 64 with the flag named', async (argv, message) => {
    const r = await runCli(argv as string[], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe('');
  });
});
