import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  defaultEventRegistry,
  getEvent,
  inboxStats,
  type LedgerQueue,
  startQueue,
  startWorker,
  type Worker,
} from '@org/billing-ledger';
import { recentCohortRange, revenueRetention, userRetention } from '@org/cohorts';
import { ensureAdminCredentials } from '@org/db';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { type GrowthReport, renderHtml } from '@org/insights';
import { activeUsersSeries, featureUsage, funnel, stickiness, topUsers } from '@org/metrics';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount, formatMoney, formatPercent, formatRatio } from '../src/lib/format.ts';
import { cliJson } from './cli.ts';
import { startFakeSupabase } from './fake-supabase.ts';
import {
  appDir,
  buildApp,
  chromiumArgs,
  clientFiles,
  type RunningApp,
  requestFrom,
  startApp,
} from './harness.ts';
import { SEED_END, seedLifecycle, seedProductEvents, seedStripeEvents } from './seed.ts';

const PASSWORD = 'e2e-admin-password-1234';
// Canaries: set in the build's environment; none may appear in what the browser downloads.
const CANARIES = {
  ADMIN_PASSWORD: 'canary-admin-password-7f3a9c',
  DATABASE_URL: 'postgres://canary_user:canary-db-secret-51be@db.invalid:5432/canary',
  STRIPE_SECRET_KEY: 'sk_test_canary51bestripesecret',
  STRIPE_WEBHOOK_SECRET: 'whsec_canary51bewebhooksecret',
  SUPABASE_SERVICE_ROLE_KEY: 'canary-service-role-key-e1d2',
  ANTHROPIC_API_KEY: 'sk-ant-canary-51be',
};
const shots = path.join(appDir, 'test-results');

let db: TestDatabase;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
let dead: string[] = [];
// Console messages of the pages about a content security policy violation (none expected).
const cspViolations: string[] = [];
const END = SEED_END.toISOString().slice(0, 10); // 2026-05-01
const at = (days: number) => ({ from: new Date(SEED_END.getTime() - days * 86_400_000), to: SEED_END });

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-e2e-'));
  db = await createTestDatabase();
  // Seeded through the packages' own paths: the metrics tracker, the ledger inbox and worker.
  const [, stripe] = await Promise.all([
    seedProductEvents(db.pool, { users: 150, seed: 7 }).then(() => seedLifecycle(db.pool)),
    seedStripeEvents(db.pool, { customers: 60, seed: 7, deadCount: 2 }),
    buildApp(CANARIES),
  ]);
  dead = stripe.dead;
  app = await startApp({
    DATABASE_URL: db.url,
    ORG_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
    REPORTING_CURRENCY: 'usd',
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('console', (m) => {
    if (/content security policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function text(testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
}

/** Streamed sections replace their loading placeholders after the load event. */
const streamed = () => page.waitForFunction(() => !document.querySelector('.loading[role=status]'));

/**
 * Charts draw once their container is measured, then plan their ticks for that width: wait until
 * every chart has drawn its axes at the width it planned for.
 */
const drawn = (p: Page = page) =>
  p.waitForFunction(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.chart')).every((c) => {
      // (the legend's icons are small surfaces of their own, before the chart's)
      const svg = c.querySelector('.recharts-xAxis')?.closest('svg');
      return (
        c.dataset.width && svg && Math.abs(svg.getBoundingClientRect().width - Number(c.dataset.width)) < 1
      );
    }),
  );

/** The first column (row headers) and cells of a data table, as text, once the page has streamed. */
async function tableRows(testId: string): Promise<string[][]> {
  await streamed();
  return page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('th,td')).map((c) => (c.textContent ?? '').trim())),
    );
}

async function shot(name: string) {
  // All of them, so the screenshot shows the page as its reader sees it.
  await streamed();
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function signIn(password = PASSWORD) {
  await page.goto(`${app.url}/login`);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}

describe('admin dashboard in Chromium', () => {
  it('refuses unauthenticated requests: pages redirect to login', async () => {
    for (const p of ['/', '/revenue', '/engagement', '/cohorts', '/lifecycle', '/ledger', '/insights']) {
      const res = await fetch(`${app.url}${p}`, { redirect: 'manual' });
      expect(res.status, p).toBeGreaterThanOrEqual(300);
      expect(res.status, p).toBeLessThan(400);
      expect(new URL(res.headers.get('location') ?? '', app.url).pathname, p).toBe('/login');
    }
    const forged = await fetch(`${app.url}/`, {
      redirect: 'manual',
      headers: { cookie: 'org_admin_session=eyJzdWIiOiJhZG1pbiJ9.AAAA' },
    });
    expect(forged.status).toBe(307);
  });

  it('rejects a wrong password, then logs in and out', async () => {
    await signIn('not-the-password-at-all');
    await expect(page.locator('p.error').textContent()).resolves.toContain('Wrong password');
    await signIn();
    await page.waitForURL(`${app.url}/`);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'org_admin_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.screenshot({ path: path.join(shots, 'login-overview.png') });

    const copy = `org_admin_session=${session!.value}`;
    expect(
      (await fetch(`${app.url}/revenue`, { redirect: 'manual', headers: { cookie: copy } })).status,
    ).toBe(200);
    await page.click('text=Sign out');
    await page.waitForURL(`${app.url}/login`);
    await page.goto(`${app.url}/revenue`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // Signing out ended the session on the server: a copy of its cookie no longer gets in.
    const replayed = await fetch(`${app.url}/revenue`, { redirect: 'manual', headers: { cookie: copy } });
    expect(replayed.status).toBe(307);
    expect(new URL(replayed.headers.get('location') ?? '', app.url).pathname).toBe('/login');
    await signIn();
    await page.waitForURL(`${app.url}/`);
  });

  it('sends security headers on every response: pages, redirects, route handlers, errors, static files', async () => {
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const script = (await page.locator('script[src^="/_next/static/"]').first().getAttribute('src'))!;
    const responses = {
      page: await fetch(`${app.url}/revenue?days=30&to=${END}`, { headers: { cookie } }),
      login: await fetch(`${app.url}/login`),
      redirect: await fetch(`${app.url}/ledger`, { redirect: 'manual' }),
      route: await fetch(`${app.url}/cohorts/export?kind=users`),
      signIn: await fetch(`${app.url}/login/session`, {
        method: 'POST',
        headers: { origin: 'http://evil.example' },
      }),
      missing: await fetch(`${app.url}/no-such-page`, { headers: { cookie } }),
      static: await fetch(`${app.url}${script}`),
    };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), name).toBe('same-origin');
      expect(res.headers.get('x-frame-options'), name).toBe('DENY');
      // Plain http, and the client's own X-Forwarded-Proto is not believed: no HSTS.
      expect(res.headers.get('strict-transport-security'), name).toBeNull();
      if (name === 'static') continue;
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, name).toContain("frame-ancestors 'none'");
      expect(csp, name).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
      expect(/script-src [^;]*/.exec(csp)?.[0], name).not.toContain('unsafe-inline');
    }
    expect(responses.page.status).toBe(200);
    expect(responses.static.status).toBe(200);
    // The page's scripts carry the response's nonce (so Chromium runs them: see the last test).
    const html = await responses.page.text();
    const nonce = /'nonce-([^']+)'/.exec(responses.page.headers.get('content-security-policy')!)![1]!;
    expect(html).toContain(`nonce="${nonce}"`);
    const spoofed = await fetch(`${app.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.headers.get('strict-transport-security')).toBeNull();
  });

  it('overview: KPI cards equal `org-reports growth --format json` for 7/30/90 days', async () => {
    interface Figure {
      key: string;
      unit: string;
      current: number | null;
      previous: number | null;
    }
    const seen: string[] = [];
    for (const days of [7, 30, 90]) {
      const report = await cliJson<{ sections: { figures: Figure[] }[] }>(
        ['growth', '--days', String(days), '--as-of', END, '--format', 'json', '--no-llm'],
        { DATABASE_URL: db.url, REPORTING_CURRENCY: 'usd' },
      );
      const figures = new Map(report.sections.flatMap((x) => x.figures).map((f) => [f.key, f]));
      await page.goto(`${app.url}/?days=${days}&to=${END}`);
      const keys = [
        'revenue.mrr',
        'revenue.arr',
        'revenue.activeSubscriptions',
        'revenue.newRevenue',
        'users.total',
        'users.new',
        'engagement.dau',
        'engagement.wau',
        'engagement.mau',
        'engagement.stickiness',
        'users.activationRate',
      ];
      for (const key of keys) {
        const f = figures.get(key);
        expect(f, key).toBeDefined();
        const shown =
          f!.unit === 'money'
            ? formatMoney(f!.current, 'usd')
            : f!.unit === 'ratio'
              ? formatPercent(f!.current)
              : formatCount(f!.current);
        expect(await text(`kpi-${key}-value`), `${key} over ${days} days`).toBe(shown);
      }
      expect(figures.get('revenue.mrr')!.current).toBeGreaterThan(0);
      seen.push(await text('kpi-revenue.newRevenue-value'));
      await shot(`overview-${days}d`);
    }
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it('revenue: the same figures as `org-reports revenue --json` for the period', async () => {
    const seen: string[] = [];
    for (const days of [30, 90]) {
      const from = at(days).from.toISOString().slice(0, 10);
      const s = await cliJson<
        Record<string, number | null> & {
          movements: Record<string, number>;
          cash: Record<string, number>;
          choiceNotes: string[];
        }
      >(['revenue', '--from', from, '--to', END, '--json'], {
        DATABASE_URL: db.url,
        REPORTING_CURRENCY: 'usd',
      });
      await page.goto(`${app.url}/revenue?days=${days}&to=${END}`);
      const money = (v: number | null | undefined) => formatMoney(v ?? null, 'usd');
      expect(await text('rev-mrr-value')).toBe(money(s.mrr));
      expect(await text('rev-arr-value')).toBe(money(s.arr));
      expect(await text('rev-payingCustomers-value')).toBe(formatCount(s.payingCustomers));
      expect(await text('rev-arpa-value')).toBe(money(s.arpa));
      expect(await text('rev-activeSubscriptions-value')).toBe(formatCount(s.activeSubscriptions));
      expect(await text('rev-customerChurnRate-value')).toBe(formatPercent(s.customerChurnRate));
      expect(await text('rev-grossMrrChurnRate-value')).toBe(formatPercent(s.grossMrrChurnRate));
      expect(await text('rev-nrr-value')).toBe(formatPercent(s.nrr));
      expect(await text('rev-grr-value')).toBe(formatPercent(s.grr));
      expect(await text('rev-quickRatio-value')).toBe(formatRatio(s.quickRatio));
      expect(await text('rev-cashCollected-value')).toBe(money(s.cash.collected));
      expect(await page.locator('[data-testid=rev-choices] li').allTextContents()).toEqual(s.choiceNotes);
      const movements = await tableRows('table-movements');
      // The catalog's figures (what the CLI prints under the same labels), then their signed effect.
      expect(movements.map((r) => r[1])).toEqual([
        money(s.movements.new),
        money(s.movements.reactivation),
        money(s.movements.expansion),
        money(s.movements.contraction),
        money(s.movements.churn),
        money(s.movements.net),
      ]);
      expect(movements.map((r) => r[2])).toEqual([
        money(s.movements.new),
        money(s.movements.reactivation),
        money(s.movements.expansion),
        money(-s.movements.contraction!),
        money(-s.movements.churn!),
        money(s.movements.net),
      ]);
      expect((await tableRows('table-mrr')).at(-1)![1]).toBe(money(s.mrr));
      seen.push(movements.map((r) => r[1]).join('|'));
      await shot(`revenue-${days}d`);
    }
    expect(seen[0]).not.toBe(seen[1]);
  });

  it('engagement: the same figures as @org/metrics for the period, and the selector changes them', async () => {
    const expected = async (days: number) => {
      const range = at(days);
      const [series, stick, features, top, steps] = await Promise.all([
        activeUsersSeries(db.pool, range),
        stickiness(db.pool, { asOf: SEED_END }),
        featureUsage(db.pool, range),
        topUsers(db.pool, { ...range, limit: 10 }),
        funnel(db.pool, {
          ...range,
          steps: ['user_signed_up', 'enrichment_completed', 'checkout_completed'],
          windowDays: 14,
          asOf: SEED_END,
        }),
      ]);
      return { series, stick, features, top, steps };
    };
    const seen: string[][][] = [];
    for (const days of [30, 90]) {
      const want = await expected(days);
      await page.goto(`${app.url}/engagement?days=${days}&to=${END}`);
      expect(await text('kpi-mau-value')).toBe(formatCount(want.stick.mau));
      expect(await text('kpi-wau-value')).toBe(formatCount(want.stick.wau));
      expect(await text('kpi-dau-value')).toBe(formatCount(want.stick.dau));
      expect(await text('kpi-stickiness-value')).toBe(formatPercent(want.stick.dauOverMau));
      const active = await tableRows('table-active-users');
      expect(active).toEqual(want.series.map((d) => [d.day, String(d.dau), String(d.wau), String(d.mau)]));
      expect(active.length).toBe(days);
      const features = await tableRows('table-feature-usage');
      expect(features).toEqual(
        want.features.map((f) => [f.name, formatCount(f.events), formatCount(f.users)]),
      );
      expect((await tableRows('table-top-users')).map((r) => r[0])).toEqual(want.top.map((u) => u.userId));
      expect((await tableRows('table-funnel')).map((r) => r[1])).toEqual(
        want.steps.map((s) => String(s.users)),
      );
      expect(want.steps[0]!.users).toBeGreaterThan(0);
      seen.push(features);
      await shot(`engagement-${days}d`);
    }
    expect(seen[0]).not.toEqual(seen[1]);

    // The selector's links and custom form drive the URL.
    await page.goto(`${app.url}/engagement?days=30&to=${END}`);
    await page.getByTestId('period-7').click();
    await page.waitForURL(/days=7/);
    expect(await text('period-range')).not.toBe('');
    await page.goto(`${app.url}/engagement?days=30&to=${END}`);
    await page.fill('input[name=from]', '2026-02-01');
    await page.fill('input[name=to]', '2026-03-01');
    await page.click('form.period-custom button');
    await page.waitForURL(/from=2026-02-01/);
    expect(await tableRows('table-active-users')).toHaveLength(28);
  });

  it('ledger health: inbox by status, dead events with their error, replay makes one processed', async () => {
    const stats = await inboxStats(db.pool);
    await page.goto(`${app.url}/ledger?days=30&to=${END}`);
    expect(await text('inbox-processed-value')).toBe(formatCount(stats.processed));
    expect(await text('inbox-dead-value')).toBe(formatCount(stats.dead));
    expect(stats.dead).toBe(2);
    const deadRows = await tableRows('table-dead');
    expect(deadRows.map((r) => r[0]).sort()).toEqual([...dead].sort());
    expect(deadRows[0]![3]).toContain('simulated handler failure');
    await shot('ledger');

    // Filters
    await page.goto(`${app.url}/ledger?days=30&to=${END}&status=dead`);
    expect((await tableRows('table-inbox')).every((r) => r[2] === 'dead')).toBe(true);

    // Replay with a real worker consuming the queue.
    let queue: LedgerQueue | undefined;
    let worker: Worker | undefined;
    try {
      queue = await startQueue(db.pool);
      worker = startWorker({ pool: db.pool, queue, registry: defaultEventRegistry(), idleMs: 50 });
      const id = dead[0]!;
      await page.getByTestId(`replay-${id}`).click();
      await page.waitForURL(/replayed=/);
      expect(await text('replayed')).toContain(id);
      for (let i = 0; i < 200 && (await getEvent(db.pool, id))?.status !== 'processed'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((await getEvent(db.pool, id))?.status).toBe('processed');
      await page.goto(`${app.url}/ledger?days=30&to=${END}`);
      expect(await text('inbox-dead-value')).toBe('1');
      expect((await tableRows('table-dead')).map((r) => r[0])).not.toContain(id);
      await page.goto(`${app.url}/ledger?days=30&to=${END}&status=processed&type=invoice.paid`);
      expect((await tableRows('table-inbox')).map((r) => r[0])).toContain(id);
    } finally {
      await worker?.stop();
      await queue?.stop();
    }
  });

  it('cohorts: the heatmaps match @org/cohorts, CSV export for admins only', async () => {
    // The page shows the last 12 weekly or monthly cohorts as of the period's end, whatever its length.
    const recent = (granularity: 'week' | 'month') => ({
      ...recentCohortRange(granularity, SEED_END, 12),
      asOf: SEED_END,
    });
    const users = await userRetention(db.pool, { ...recent('week'), granularity: 'week', mode: 'on' });
    // At most 12 (a week nobody signed up in has no row), and more than a 90-day period's own share.
    expect(users.cohorts.length).toBeGreaterThan(0);
    expect(users.cohorts.length).toBeLessThanOrEqual(12);
    const revenue = await revenueRetention(db.pool, { ...recent('month'), currency: 'usd' });
    await page.goto(`${app.url}/cohorts?days=90&to=${END}&granularity=week&mode=on`);
    const rows = await tableRows('table-user-retention');
    expect(rows.length).toBe(users.cohorts.length + 1);
    for (const [i, c] of users.cohorts.entries()) {
      expect(rows[i]!.slice(0, 2)).toEqual([c.cohortStart, String(c.size)]);
      // Periods the cohort has not reached are null and blank, not 0%.
      const cell = (p: { users: number | null; rate: number | null }) =>
        p.users === null ? '' : formatPercent(p.rate);
      expect(rows[i]!.slice(2, 2 + c.periods.length)).toEqual(c.periods.map(cell));
    }
    expect(users.cohorts.some((c) => c.periods.some((p) => p.users === null))).toBe(true);
    expect(rows.at(-1)!.slice(2)).toEqual(
      users.summary.map((p) => (p.users === null ? '' : formatPercent(p.rate))),
    );
    const revRows = revenue.length ? await tableRows('table-revenue-retention') : [];
    expect(revRows.map((r) => r[0])).toEqual(revenue.map((c) => c.cohortMonth));
    await shot('cohorts');

    const csvUrl = `${app.url}/cohorts/export?days=90&to=${END}&granularity=week&mode=on&kind=users`;
    const res = await page.request.get(csvUrl);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('cohort_start,granularity,mode,size,period,users,rate');
    // Long format: one line per reached cell (periods not reached yet have no line).
    expect(lines.length - 1).toBe(
      users.cohorts.reduce((n, c) => n + c.periods.filter((p) => p.users !== null).length, 0),
    );
    const anonymous = await fetch(csvUrl);
    expect(anonymous.status).toBe(401);

    await page.goto(`${app.url}/cohorts?days=90&to=${END}&granularity=month&mode=on_or_after`);
    const monthly = await userRetention(db.pool, {
      ...recent('month'),
      granularity: 'month',
      mode: 'on_or_after',
    });
    expect((await tableRows('table-user-retention')).map((r) => r[0])).toEqual([
      ...monthly.cohorts.map((c) => c.cohortStart),
      'All (weighted)',
    ]);
  });

  it('lifecycle: the same series and stages as `org-reports lifecycle show --json`', async () => {
    interface Show {
      series: { period: string; new: number; returning: number; resurrecting: number; dormant: number }[];
      distribution: { stage: string; count: number }[];
    }
    // 12 weeks ending at END = the page's custom range [END - 84 days, END) by week.
    const shown = await cliJson<Show>(
      ['lifecycle', 'show', '--interval', 'week', '--periods', '12', '--as-of', END, '--json'],
      { DATABASE_URL: db.url, METRICS_APP: 'demo' },
    );
    const from = new Date(SEED_END.getTime() - 84 * 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${app.url}/lifecycle?from=${from}&to=${END}&interval=week&level=user`);
    expect(await tableRows('table-lifecycle')).toEqual(
      shown.series.map((p) => [
        p.period,
        String(p.new),
        String(p.returning),
        String(p.resurrecting),
        String(p.dormant),
      ]),
    );
    expect(shown.distribution.length).toBeGreaterThan(0);
    expect(await tableRows('table-stages')).toEqual(
      shown.distribution.map((d) => [d.stage, String(d.count)]),
    );
    expect((await tableRows('table-transitions')).length).toBeGreaterThan(0);
    await shot('lifecycle');
  });

  it('insights: renders the report `org-reports growth --no-llm` stored, and generates a missing one', async () => {
    type Report = {
      title: string;
      insights: { narrative: { headline: string }; findings: { title: string; severity: string }[] };
    };
    const env = { DATABASE_URL: db.url, REPORTING_CURRENCY: 'usd' };
    // The CLI stores what it prints; the page shows that report for its period.
    const report = await cliJson<Report>(
      ['growth', '--days', '30', '--as-of', END, '--format', 'json', '--no-llm'],
      env,
    );
    await page.goto(`${app.url}/insights?days=30&to=${END}`);
    expect(await text('headline')).toBe(report.insights.narrative.headline);
    expect(await text('report-generated')).toContain('(cli)');
    const rows = report.insights.findings.length ? await tableRows('table-findings') : [];
    expect(rows.map((r) => `${r[0]}|${r[1]}`).sort()).toEqual(
      report.insights.findings.map((f) => `${f.title}|${f.severity}`).sort(),
    );
    expect((await tableRows('table-reports')).map((r) => r[0])).toContain(report.title);
    await shot('insights');

    // No report for the 7 days before the day before END: the page says so and builds one on
    // request, the same report as the CLI's (which, with --no-store, stores nothing).
    const dayBefore = new Date(Date.parse(`${END}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const weekly = await cliJson<Report>(
      ['growth', '--days', '7', '--as-of', dayBefore, '--format', 'json', '--no-llm', '--no-store'],
      env,
    );
    await page.goto(`${app.url}/insights?days=7&to=${dayBefore}`);
    await expect(page.getByTestId('narrative').textContent()).resolves.toContain('No growth report stored');
    await page.getByTestId('generate-report').click();
    await page.waitForURL(/generated=/);
    expect(await text('headline')).toBe(weekly.insights.narrative.headline);
    expect(await text('report-generated')).toContain('(dashboard)');
  });

  it('without ADMIN_PASSWORD, accepts the generated password from admin.json (what the demo prints)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-e2e-generated-'));
    const second = await startApp({ DATABASE_URL: db.url, ORG_DATA_DIR: dir });
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await p.goto(`${second.url}/login`);
      // The server created the file on first use; the demo reads the same file.
      const { password } = ensureAdminCredentials(dir);
      await p.fill('input[name=password]', PASSWORD);
      await p.click('button[type=submit]');
      await expect(p.locator('p.error').textContent()).resolves.toContain('Wrong password');
      await p.fill('input[name=password]', password);
      await p.click('button[type=submit]');
      await p.waitForURL(`${second.url}/`);
      // A session signed by another installation's secret is refused here.
      const other = await page.context().cookies();
      const foreign = await fetch(`${second.url}/`, {
        redirect: 'manual',
        headers: { cookie: other.map((c) => `${c.name}=${c.value}`).join('; ') },
      });
      expect(foreign.status).toBe(307);
    } finally {
      await ctx.close();
      await second.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with Supabase configured: only users with the admin role claim get in', async () => {
    const supabase = await startFakeSupabase([
      {
        id: 'u-admin',
        email: 'admin@example.test',
        password: 'admin-pass-123',
        appMetadata: { role: 'admin' },
      },
      { id: 'u-user', email: 'user@example.test', password: 'user-pass-1234', appMetadata: {} },
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-e2e-supabase-'));
    const third = await startApp({
      DATABASE_URL: db.url,
      ORG_DATA_DIR: dir,
      NEXT_PUBLIC_SUPABASE_URL: supabase.url,
      NEXT_PUBLIC_SUPABASE_ANON_KEY: 'anon-key-for-tests',
    });
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      const login = async (email: string, password: string) => {
        await p.goto(`${third.url}/login`);
        await p.fill('input[name=email]', email);
        await p.fill('input[name=password]', password);
        await p.click('button[type=submit]');
      };
      await login('user@example.test', 'user-pass-1234');
      await expect(p.locator('p.error').textContent()).resolves.toContain('not an admin');
      await login('admin@example.test', 'wrong-password');
      await expect(p.locator('p.error').textContent()).resolves.toContain('Wrong email or password');
      await login('admin@example.test', 'admin-pass-123');
      await p.waitForURL(`${third.url}/`);
      const cookies = await ctx.cookies();
      expect(cookies.some((c) => c.name.startsWith('sb-') && c.httpOnly && c.sameSite === 'Strict')).toBe(
        true,
      );
      await p.goto(`${third.url}/revenue?days=30&to=${END}`);
      expect(new URL(p.url()).pathname).toBe('/revenue');
      await p.click('text=Sign out');
      await p.waitForURL(`${third.url}/login`);
      await p.goto(`${third.url}/ledger`);
      expect(new URL(p.url()).pathname).toBe('/login');
    } finally {
      await ctx.close();
      await third.stop();
      await supabase.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sign-in throttle: forwarded addresses only from trusted proxies, delays instead of lockouts, known browsers exempt', async () => {
    // Its own database and low limits, so the delays here touch no other test. Every loopback
    // address reaches the app: 127.0.0.1 plays a trusted reverse proxy (and the browser behind it),
    // 127.0.0.2-4 are clients reaching the app directly.
    const lockDb = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-e2e-throttle-'));
    const fourth = await startApp({
      DATABASE_URL: lockDb.url,
      ORG_DATA_DIR: dir,
      ADMIN_PASSWORD: PASSWORD,
      ADMIN_TRUSTED_PROXIES: '127.0.0.1',
      ADMIN_LOGIN_MAX_FAILURES_PER_IP: '3',
      ADMIN_LOGIN_MAX_FAILURES_PER_ACCOUNT: '6',
      ADMIN_LOGIN_BASE_DELAY_SECONDS: '300',
      ADMIN_LOGIN_MAX_DELAY_SECONDS: '600',
    });
    const post = (from: string, password: string, headers: Record<string, string> = {}) =>
      requestFrom(from, `${fourth.url}/login/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: fourth.url, ...headers },
        body: JSON.stringify({ password }),
      });
    const error = (r: { body: string }) => (JSON.parse(r.body) as { error: string }).error;
    const owner = await browser.newContext();
    const stranger = await browser.newContext();
    try {
      expect((await post('127.0.0.2', PASSWORD, { origin: 'http://evil.example' })).status).toBe(403);

      // A direct client's X-Forwarded-For is not believed: naming the owner's address puts the
      // failures on the sender's own address, and changing it does not reset the count.
      const spoofing: number[] = [];
      for (let i = 0; i < 3; i++)
        spoofing.push((await post('127.0.0.2', `wrong-${i}`, { 'x-forwarded-for': '127.0.0.3' })).status);
      const ownerDirect = await post('127.0.0.3', PASSWORD);
      expect(ownerDirect.status).toBe(204);
      expect(String(ownerDirect.headers['set-cookie'])).toContain('org_admin_session=');
      expect(spoofing).toEqual([401, 401, 401]);
      const delayed = await post('127.0.0.2', 'wrong-3', { 'x-forwarded-for': '198.51.100.77' });
      expect(delayed.status).toBe(429);
      expect(Number(delayed.headers['retry-after'])).toBeGreaterThan(200);
      expect(error(delayed)).toBe('Too many failed sign-ins from this address. Try again in 5 minutes.');

      // The owner's browser signs in once (from behind the proxy) and becomes a known browser.
      const ownerPage = await owner.newPage();
      const signInAs = async (p: Page) => {
        await p.goto(`${fourth.url}/login`);
        await p.fill('input[name=password]', PASSWORD);
        await p.click('button[type=submit]');
      };
      await signInAs(ownerPage);
      await ownerPage.waitForURL(`${fourth.url}/`);
      expect((await owner.cookies()).map((c) => c.name).sort()).toEqual([
        'org_admin_device',
        'org_admin_session',
      ]);
      await ownerPage.click('text=Sign out');
      await ownerPage.waitForURL(`${fourth.url}/login`);

      // Through the trusted proxy, the client is the rightmost address the proxy did not add itself
      // (the entry left of it was written by the client and is ignored).
      const viaProxy = (client: string, password: string, spoof = '203.0.113.66') =>
        post('127.0.0.1', password, { 'x-forwarded-for': `${spoof}, ${client}` });
      for (let i = 0; i < 3; i++)
        expect((await viaProxy('192.0.2.10', `wrong-p${i}`, `203.0.113.${i}`)).status).toBe(401);
      expect((await viaProxy('192.0.2.10', PASSWORD)).status).toBe(429);
      expect((await viaProxy('192.0.2.11', 'wrong-p3')).status).toBe(401);
      // HSTS when the trusted proxy says the client came over https, not when a direct client does.
      const hsts = (r: { headers: Record<string, unknown> }) => r.headers['strict-transport-security'];
      const https = { 'x-forwarded-proto': 'https' };
      expect(hsts(await requestFrom('127.0.0.1', `${fourth.url}/login`, { headers: https }))).toMatch(
        /max-age=\d+/,
      );
      expect(hsts(await requestFrom('127.0.0.2', `${fourth.url}/login`, { headers: https }))).toBeUndefined();

      // Guessing spread over many addresses delays the account (4 failures so far, 6 allowed)...
      expect((await viaProxy('192.0.2.20', 'wrong-p4')).status).toBe(401);
      expect((await viaProxy('192.0.2.21', 'wrong-p5')).status).toBe(401);
      const accountDelayed = await post('127.0.0.4', PASSWORD);
      expect(accountDelayed.status).toBe(429);
      expect(error(accountDelayed)).toBe(
        'Too many failed sign-ins for this account. Try again in 5 minutes.',
      );
      const strangerPage = await stranger.newPage();
      await signInAs(strangerPage);
      await expect(strangerPage.locator('p.error').textContent()).resolves.toBe(
        'Too many failed sign-ins for this account. Try again in 5 minutes.',
      );
      await strangerPage.screenshot({ path: path.join(shots, 'login-throttled.png') });
      // ...but not the owner's known browser, which signs in at once.
      await signInAs(ownerPage);
      await ownerPage.waitForURL(`${fourth.url}/`);

      // A delay, not a lockout: once it has passed (moved to now rather than waited for), the
      // right password gets in from anywhere.
      const moved = await lockDb.pool.query(
        `update public.admin_login_throttle set next_attempt_at = now() where key = 'account:admin'`,
      );
      expect(moved.rowCount).toBe(1);
      expect((await post('127.0.0.4', PASSWORD)).status).toBe(204);
    } finally {
      await owner.close();
      await stranger.close();
      await fourth.stop();
      await lockDb.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every page fits a 1440 px and a 390 px window: no horizontal page overflow, tables scroll inside their card', async () => {
    const paths = ['/', '/revenue', '/engagement', '/cohorts', '/lifecycle', '/ledger', '/insights'];
    const urls = [
      ...paths.map((p) => ({ name: p === '/' ? 'overview' : p.slice(1), url: `${p}?days=90&to=${END}` })),
      // the default landing URLs, a missing page and the sign-in page
      ...paths.map((p) => ({ name: `${p === '/' ? 'overview' : p.slice(1)}-default`, url: p })),
      // long and short ranges: two years by week and month, 90 days by day, a week
      { name: 'revenue-2y', url: `/revenue?from=2024-05-01&to=${END}` },
      { name: 'lifecycle-90d-daily', url: `/lifecycle?days=90&to=${END}&interval=day` },
      { name: 'engagement-7d', url: `/engagement?days=7&to=${END}` },
      { name: 'not-found', url: '/no-such-page' },
    ];
    const overflow: string[] = [];
    try {
      for (const width of [1440, 390]) {
        await page.setViewportSize({ width, height: 900 });
        for (const { name, url } of urls) {
          await page.goto(`${app.url}${url}`);
          await streamed();
          await drawn();
          const m = await page.evaluate(() => {
            // A table wider than the window must sit in a scroll box that fits it.
            const spilling = Array.from(document.querySelectorAll('table')).filter((t) => {
              let box: Element | null = t.parentElement;
              while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
              return (box ?? t).getBoundingClientRect().right > window.innerWidth + 1;
            }).length;
            // Axis tick labels must be readable: none overlapping another, none cut off by the chart.
            const crowded: string[] = [];
            for (const chart of Array.from(document.querySelectorAll('.recharts-wrapper svg'))) {
              const frame = chart.getBoundingClientRect();
              for (const axis of Array.from(
                chart.querySelectorAll('.recharts-xAxis-tick-labels, .recharts-yAxis-tick-labels'),
              )) {
                const labels = Array.from(axis.querySelectorAll('text'))
                  .map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect(), t }))
                  .filter((l) => l.box.width > 0);
                for (const l of labels)
                  if (l.box.left < frame.left - 1 || l.box.right > frame.right + 1)
                    crowded.push(`"${l.text}" cut off`);
                if (labels.some((l) => /rotate/.test(l.t.getAttribute('transform') ?? ''))) continue;
                const horizontal = axis.classList.contains('recharts-xAxis-tick-labels');
                labels.sort((a, b) => (horizontal ? a.box.left - b.box.left : a.box.top - b.box.top));
                for (let i = 1; i < labels.length; i++) {
                  const [a, b] = [labels[i - 1]!.box, labels[i]!.box];
                  if (horizontal ? b.left < a.right - 1 : b.top < a.bottom - 1)
                    crowded.push(`"${labels[i - 1]!.text}" and "${labels[i]!.text}" overlap`);
                }
              }
            }
            // Words meant for developers (package names, Markdown backticks, file names) are no UI text.
            const text = document.querySelector('main')?.textContent ?? '';
            const devText = /@org\/|`|METRICS\.md|query function/.exec(text)?.[0] ?? null;
            return {
              scrollWidth: document.documentElement.scrollWidth,
              innerWidth: window.innerWidth,
              spilling,
              devText,
              crowded,
            };
          });
          if (m.crowded.length) overflow.push(`${url} at ${width} px: axis labels ${m.crowded.join(', ')}`);
          if (m.devText && width === 1440) overflow.push(`${url}: developer text "${m.devText}" in the page`);
          if (m.scrollWidth > m.innerWidth || m.spilling)
            overflow.push(
              `${url} at ${width} px: page ${m.scrollWidth} px wide, ${m.spilling} tables spilling`,
            );
          await shot(`layout-${width}-${name}`);
        }
        // The navigation is reachable at both widths; on a phone it is collapsed behind a menu button.
        await page.goto(`${app.url}/revenue?days=30&to=${END}`);
        const nav = page.locator('nav.site-nav');
        await expect(nav.getByRole('link', { name: 'Cohorts' }).isVisible()).resolves.toBe(width > 700);
        if (width <= 700) {
          const header = await page.locator('.sidebar').boundingBox();
          expect(header!.height).toBeLessThan(80);
          await page.getByRole('button', { name: 'Menu' }).click();
          await nav.getByRole('link', { name: 'Cohorts' }).click();
          await page.waitForURL(/\/cohorts\?days=30&to=/);
        }
      }
      // The sign-in page, as a visitor without a session sees it.
      const visitor = await browser.newContext({ viewport: { width: 390, height: 800 } });
      try {
        const v = await visitor.newPage();
        await v.goto(`${app.url}/login`);
        const w = await v.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        if (w[0]! > w[1]!) overflow.push(`/login at 390 px: page ${w[0]} px wide`);
        await v.screenshot({ path: path.join(shots, 'layout-390-login.png'), fullPage: true });
      } finally {
        await visitor.close();
      }
      // The growth report's HTML file (what `org-reports growth --format html` writes) on a phone.
      const report = await cliJson<GrowthReport>(
        ['growth', '--days', '30', '--as-of', END, '--format', 'json', '--no-llm', '--no-store'],
        { DATABASE_URL: db.url, REPORTING_CURRENCY: 'usd' },
      );
      const file = path.join(shots, 'growth.html');
      writeFileSync(file, renderHtml(report));
      for (const width of [1440, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`file://${file}`);
        const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        if (w[0]! > w[1]!) overflow.push(`growth.html at ${width} px: page ${w[0]} px wide`);
        await page.screenshot({ path: path.join(shots, `layout-${width}-growth-html.png`), fullPage: true });
      }
    } finally {
      await page.setViewportSize({ width: 1366, height: 900 });
    }
    expect(overflow).toEqual([]);
    // A missing page keeps the navigation (and says what is missing).
    await page.goto(`${app.url}/no-such-page`);
    await expect(page.locator('nav.site-nav').getByRole('link', { name: 'Revenue' }).count()).resolves.toBe(
      1,
    );
    await expect(page.locator('h1').textContent()).resolves.toBe('Page not found');
  });

  it('stacked charts draw negative values below the zero line: churn, contraction and dormant', async () => {
    /** Rectangles of each series against the y of value 0 on the chart's own axis. */
    const bars = (section: string) =>
      page
        .locator(`[data-testid=${section}] .recharts-wrapper`)
        .first()
        .evaluate((chart) => {
          const parse = (t: string) => {
            const m = /(-|\u2212)?[^\d]*([\d.,]+)\s*([KMB])?/.exec(t.replace(/\s/g, ''));
            if (!m) return null;
            const scale = { K: 1e3, M: 1e6, B: 1e9 }[m[3] as 'K' | 'M' | 'B'] ?? 1;
            return (m[1] ? -1 : 1) * Number(m[2]!.replace(/,/g, '')) * scale;
          };
          const ticks = Array.from(
            chart.querySelectorAll('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value'),
          )
            .map((t) => {
              const box = t.getBoundingClientRect();
              return { value: parse(t.textContent ?? ''), y: box.top + box.height / 2 };
            })
            .filter((t): t is { value: number; y: number } => t.value !== null);
          const [a, b] = [ticks[0]!, ticks.at(-1)!];
          const zero = a.y + ((0 - a.value) * (b.y - a.y)) / (b.value - a.value);
          const out: Record<string, { top: number; bottom: number }[]> = {};
          for (const g of Array.from(chart.querySelectorAll('g.recharts-bar[class*="series-"]'))) {
            const key = /series-(\w+)/.exec(g.getAttribute('class') ?? '')![1]!;
            out[key] = Array.from(g.querySelectorAll('path.recharts-rectangle'))
              .map((r) => r.getBoundingClientRect())
              .filter((r) => r.height >= 1)
              .map((r) => ({ top: r.top - zero, bottom: r.bottom - zero }));
          }
          return { ticks: ticks.map((t) => t.value), out };
        });
    const check = (r: Awaited<ReturnType<typeof bars>>, negative: string[], positive: string[]) => {
      expect(r.ticks.some((v) => v < 0)).toBe(true);
      for (const key of negative) for (const b of r.out[key] ?? []) expect(b.top, key).toBeGreaterThan(-1.5);
      for (const key of positive) for (const b of r.out[key] ?? []) expect(b.bottom, key).toBeLessThan(1.5);
      expect(negative.reduce((n, k) => n + (r.out[k]?.length ?? 0), 0)).toBeGreaterThan(0);
      expect(positive.reduce((n, k) => n + (r.out[k]?.length ?? 0), 0)).toBeGreaterThan(0);
    };
    await page.goto(`${app.url}/revenue?days=90&to=${END}`);
    await streamed();
    await drawn();
    check(await bars('movements'), ['contraction', 'churn'], ['new', 'reactivation', 'expansion']);
    const from = new Date(SEED_END.getTime() - 84 * 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${app.url}/lifecycle?from=${from}&to=${END}&interval=week&level=user`);
    await streamed();
    await drawn();
    check(await bars('lifecycle-series'), ['dormant'], ['new', 'returning', 'resurrecting']);
    // No negative zero anywhere on the pages ("−0", "-$0.00").
    for (const url of [
      `/revenue?days=90&to=${END}`,
      `/?days=30&to=${END}`,
      `/lifecycle?from=${from}&to=${END}`,
    ]) {
      await page.goto(`${app.url}${url}`);
      await streamed();
      await drawn();
      // biome-ignore lint/performance/useDomNodeTextContent: the text as shown, without script contents.
      const text = await page.locator('body').innerText();
      const ticks = await page.locator('.recharts-cartesian-axis-tick-value').allTextContents();
      expect(text, url).not.toMatch(/[-\u2212]\$?0(\.0+)?%?(?![\d.,])/);
      expect(
        ticks.filter((t) => /^[-\u2212]\$?0(\.0+)?%?$/.test(t.trim())),
        url,
      ).toEqual([]);
    }
  });

  it('ships no secret, service key or database URL to the browser', () => {
    const files = clientFiles();
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    const leaks: string[] = [];
    const patterns = [
      ...Object.values(CANARIES),
      PASSWORD,
      db.url,
      /postgres(ql)?:\/\/[^"'\s]*@/,
      /\bsk_(live|test)_[A-Za-z0-9]{8,}/,
      /\brk_(live|test)_[A-Za-z0-9]{8,}/,
      /\bwhsec_[A-Za-z0-9]{8,}/,
      /sk-ant-[A-Za-z0-9-]{8,}/,
      /service_role/,
      /sessionSecret/,
      /admin\.json/,
    ];
    for (const file of files) {
      const content = readFileSync(file, 'latin1');
      for (const p of patterns)
        if (typeof p === 'string' ? content.includes(p) : p.test(content))
          leaks.push(`${path.relative(appDir, file)}: ${p}`);
    }
    expect(leaks).toEqual([]);
  });

  it('no page broke its content security policy (Next.js scripts carry the nonce)', () => {
    expect(cspViolations).toEqual([]);
  });

  it('refuses a replay server action without a session', async () => {
    const ctx = await browser.newContext();
    const anon = await ctx.newPage();
    await anon.goto(`${app.url}/ledger`);
    expect(new URL(anon.url()).pathname).toBe('/login');
    await ctx.close();
  });
});
