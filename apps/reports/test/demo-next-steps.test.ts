import { describe, expect, it } from 'vitest';
import { dashboardPeriodUrl, demoWorldEnd } from '../src/commands/demo.ts';
import { buildWorld } from '../src/demo/world.ts';
import { cliInvocation } from '../src/invocation.ts';

describe('the demo world ends today', () => {
  it('ends at the start of tomorrow (UTC) unless --end pins it', () => {
    expect(demoWorldEnd(undefined, new Date('2026-12-07T16:20:00Z')).toISOString()).toBe(
      '2026-12-08T00:00:00.000Z',
    );
    expect(demoWorldEnd(undefined, new Date('2026-12-31T23:59:59Z')).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(demoWorldEnd('2026-11-01').toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('builds the same world for the same seed and end; its history runs up to the end', () => {
    const end = new Date('2026-12-08T00:00:00Z');
    const a = buildWorld({ seed: 9, customers: 200, months: 6, end });
    expect(a.end.toISOString()).toBe(end.toISOString());
    expect(a.start.toISOString()).toBe('2026-06-08T00:00:00.000Z');
    expect(JSON.stringify(buildWorld({ seed: 9, customers: 200, months: 6, end }))).toBe(JSON.stringify(a));
    const signups = a.customers.map((c) => c.signupAt.getTime());
    expect(Math.min(...signups)).toBeGreaterThanOrEqual(a.start.getTime());
    expect(Math.max(...signups)).toBeLessThan(end.getTime());
    // The last month has signups: the dashboard's default period (the last 30 days) is not empty.
    expect(signups.filter((t) => t >= end.getTime() - 30 * 86_400_000).length).toBeGreaterThan(0);
    // Without an end the world keeps its fixed start (library users, fixtures).
    expect(buildWorld({ seed: 9, customers: 10, months: 12 }).end.toISOString()).toBe(
      '2026-11-01T00:00:00.000Z',
    );
  });

  it('prints a dashboard URL with the period, ending with the world', () => {
    const end = new Date('2026-12-08T00:00:00Z');
    expect(dashboardPeriodUrl('http://127.0.0.1:3000', 30, end)).toBe(
      'http://127.0.0.1:3000/?days=30&to=2026-12-08',
    );
    expect(dashboardPeriodUrl('http://127.0.0.1:3001/', 14, end)).toBe(
      'http://127.0.0.1:3001/?from=2026-11-24&to=2026-12-08',
    );
  });
});

describe('next steps the CLI prints', () => {
  const pnpmIn =
    (...dirs: string[]) =>
    (file: string) =>
      dirs.some((d) => file === `${d}/pnpm`);

  it('say `pnpm org-reports` when pnpm is installed', () => {
    expect(
      cliInvocation({ PATH: '/usr/bin:/usr/local/bin' }, { isExecutable: pnpmIn('/usr/local/bin') }),
    ).toBe('pnpm org-reports');
  });

  it('after the npx-only quick start, use npx with the pinned pnpm (no pnpm on the user’s PATH)', () => {
    // What pnpm sees when npx started it: its own folder in npx's cache and node_modules/.bin on the PATH.
    const env = {
      PATH: '/work/x/node_modules/.bin:/root/.npm/_npx/abc123/node_modules/.bin:/usr/bin',
      npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64',
    };
    const isExecutable = pnpmIn('/root/.npm/_npx/abc123/node_modules/.bin', '/work/x/node_modules/.bin');
    expect(cliInvocation(env, { isExecutable })).toBe('npx --yes pnpm@10.34.9 org-reports');
    // Started without pnpm at all (node_modules/.bin/org-reports): the version the repository pins.
    expect(cliInvocation({ PATH: '/usr/bin' }, { isExecutable: () => false })).toMatch(
      /^npx --yes pnpm@\d+\.\d+\.\d+ org-reports$/,
    );
  });
});
