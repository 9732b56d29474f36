import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

const opened: TestDatabase[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.drop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function demoRun(seed: string) {
  const db = await createTestDatabase();
  opened.push(db);
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'org-demo-'));
  dirs.push(outDir);
  const args = [
    'demo',
    '--seed',
    seed,
    '--customers',
    '30',
    '--months',
    '3',
    '--no-dashboard',
    // A pinned end: without it the world ends today, and two runs across midnight would differ.
    '--end',
    '2026-11-01',
    '--out-dir',
    outDir,
    '--json',
  ];
  const result = await runCli(args, { DATABASE_URL: db.url });
  expect(result.code, result.stderr).toBe(0);
  const read = (ext: string) => readFileSync(path.join(outDir, `growth.${ext}`), 'utf8');
  return {
    ...result,
    json: result.code === 0 ? JSON.parse(result.stdout) : null,
    md: read('md'),
    report: JSON.parse(read('json')),
  };
}

describe('org-reports demo', () => {
  it('drives the seeded world through the intake paths and writes the same report for the same seed', async () => {
    const first = await demoRun('7');
    expect(first.code).toBe(0);
    expect(first.json.stripe.inbox.dead).toBe(0);
    expect(first.json.stripe.deliveries).toBeGreaterThan(first.json.stripe.events);
    expect(first.json.product.inserted).toBe(first.json.product.tracked);
    expect(first.json.revenue.mrr).toBeGreaterThan(0);
    expect(first.md).toContain('MRR');
    // Stripe customers carry the product user id, so lifecycle sees who pays and who churned.
    expect(first.json.lifecycle.userStages.paying).toBeGreaterThan(0);
    expect(first.json.asOf).toBe('2026-11-01T00:00:00.000Z');
    expect(first.json.cli).toMatch(/^(pnpm|npx --yes pnpm@\S+) org-reports$/);

    const second = await demoRun('7');
    expect(second.md).toBe(first.md);
    expect(second.json.revenue).toEqual(first.json.revenue);

    const other = await demoRun('8');
    expect(other.json.revenue).not.toEqual(first.json.revenue);
  }, 180_000);

  it('rejects a bad flag value with exit 64 and writes nothing', async () => {
    const r = await runCli(['demo', '--customers', 'many', '--no-dashboard'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--customers must be an integer');
  });
});
