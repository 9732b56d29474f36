import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminCredentialsPath, ensureAdminCredentials, verifyAdminPassword } from './admin-credentials.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'org-admin-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('admin credentials file', () => {
  it('generates once, mode 0600, and verifies only the generated password', () => {
    const a = ensureAdminCredentials(dir);
    const b = ensureAdminCredentials(dir);
    expect(b).toEqual(a);
    expect(statSync(adminCredentialsPath(dir)).mode & 0o777).toBe(0o600);
    expect(a.password.length).toBeGreaterThanOrEqual(16);
    expect(a.sessionSecret).not.toBe(a.password);
    expect(verifyAdminPassword(a.password, a.passwordHash)).toBe(true);
    expect(verifyAdminPassword(`${a.password}x`, a.passwordHash)).toBe(false);
    expect(verifyAdminPassword(a.password, 'plain')).toBe(false);
    expect(JSON.parse(readFileSync(adminCredentialsPath(dir), 'utf8')).passwordHash).toMatch(/^scrypt\$/);
  });
});
