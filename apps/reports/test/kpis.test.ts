import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { insertEvents } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProductFixture } from './product-fixture.ts';
import { runCli } from './support.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadProductFixture(db.pool);
});
afterAll(() => db.drop());

describe('org-reports kpis', () => {
  it('prints the product KPIs of a period as JSON', async () => {
    const run = await runCli(
      [
        'kpis',
        '--as-of',
        '2026-03-13',
        '--days',
        '14',
        '--app',
        'demo',
        '--funnel',
        'user_signed_up,enrichment_started,enrichment_completed',
        '--json',
      ],
      {
        DATABASE_URL: db.url,
      },
    );
    expect(run.code).toBe(0);
    const k = JSON.parse(run.stdout);
    expect(k.activeUsers).toEqual({ day: '2026-03-12', dau: 1, wau: 2, mau: 3 });
    expect(k.users).toEqual({ total: 3, new: 3 });
    // The growth report's activation: the core action (enrichment_completed) within 7 days; only a did it.
    expect(k.activation).toMatchObject({
      signedUp: 3,
      activated: 1,
      rate: 0.3333,
      windowDays: 7,
      activation: { event: 'enrichment_completed' },
    });
    expect(k.figures).toMatchObject({
      'users.activationRate': 0.3333,
      'engagement.dau': 1,
      'engagement.wau': 2,
      'engagement.mau': 3,
    });
    // Another funnel than the catalog's: its conversions are not the catalog's funnel figures.
    expect(k.figures['funnel.signupToCoreAction']).toBeUndefined();
    expect(k.funnel.map((s: { users: number }) => s.users)).toEqual([3, 3, 1]);
    expect(k.features[0]).toEqual({ name: 'enrichment_started', events: 3, users: 3 });
  });

  it('prints a human summary and refuses bad flags', async () => {
    const run = await runCli(['kpis', '--as-of', '2026-03-13'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^DAU \(last day\)\s+1\s+on 2026-03-12$/m);
    expect(run.stdout).toMatch(/^WAU\s+2$/m);
    expect(run.stdout).toMatch(/^MAU\s+3$/m);
    // The default funnel is the growth report's: signup, core action, payment.
    expect(run.stdout).toMatch(/^Signup → core action\s+/m);
    expect(run.stdout).toMatch(/^3\s+checkout_completed\s/m);
    const other = await runCli(['kpis', '--as-of', '2026-03-13', '--activation', 'export_created'], {
      DATABASE_URL: db.url,
    });
    // Another activation event is another number: another label, and no catalog key.
    expect(other.stdout).toMatch(/^Activation rate \(export_created\)\s+/m);
    expect(other.stdout).not.toMatch(/^Activation rate\s{2}/m);
    expect((await runCli(['kpis', '--days', '0'], { DATABASE_URL: db.url })).code).toBe(64);
    expect((await runCli(['kpis', '--funnel', 'only_one'], { DATABASE_URL: db.url })).code).toBe(64);
  });

  it('--as-of D counts no funnel conversion that happens at or after D', async () => {
    const late = await createTestDatabase();
    try {
      await loadProductFixture(late.pool);
      // Completions after the as-of instant (b) and exactly at it (c): not yet happened as of 2026-03-13.
      await insertEvents(late.pool, 'demo', [
        {
          ...base,
          id: randomUUID(),
          userId: 'b',
          name: 'enrichment_completed',
          occurredAt: '2026-03-14T09:00:00.000Z',
        },
        {
          ...base,
          id: randomUUID(),
          userId: 'c',
          name: 'enrichment_completed',
          occurredAt: '2026-03-13T00:00:00.000Z',
        },
      ]);
      const funnelAt = async (asOf: string) => {
        const run = await runCli(
          [
            'kpis',
            '--as-of',
            asOf,
            '--days',
            '14',
            '--app',
            'demo',
            '--funnel',
            'user_signed_up,enrichment_started,enrichment_completed',
            '--json',
          ],
          { DATABASE_URL: late.url },
        );
        expect(run.code, run.stderr).toBe(0);
        return (JSON.parse(run.stdout).funnel as { users: number; conversion: number | null }[]).map((s) => [
          s.users,
          s.conversion,
        ]);
      };
      // Independently: signups a, b, c in [02-27, 03-13); all three started before 03-13; only a completed before it.
      expect(await funnelAt('2026-03-13')).toEqual([
        [3, 1],
        [3, 1],
        [1, 0.3333], // conversions are rounded to 4 decimals
      ]);
      // As of 03-15 ([03-01, 03-15)): b's completion on 03-14 and c's at 03-13 00:00 have happened.
      expect(await funnelAt('2026-03-15')).toEqual([
        [3, 1],
        [3, 1],
        [3, 1],
      ]);
    } finally {
      await late.drop();
    }
  });
});

const base = { category: 'feature', accountId: null, properties: {} };
