import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, buildApp, chromiumArgs, type RunningApp, startApp } from './harness.ts';

const PASSWORD = 'e2e-admin-password-1234';
const shots = path.join(appDir, 'test-results');

let db: TestDatabase;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-e2e-'));
  db = await createTestDatabase();
  await buildApp();
  app = await startApp({
    DATABASE_URL: db.url,
    ORG_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
    REPORTING_CURRENCY: 'usd',
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

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

    await page.click('text=Sign out');
    await page.waitForURL(`${app.url}/login`);
    await page.goto(`${app.url}/revenue`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn();
    await page.waitForURL(`${app.url}/`);
  });
});
