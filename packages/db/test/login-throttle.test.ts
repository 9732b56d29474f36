import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clearLoginFailures,
  type LoginThrottleLimits,
  loginThrottleState,
  recordLoginFailure,
} from '../src/login-throttle.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

const limits: LoginThrottleLimits = { perIp: 3, perAccount: 5, windowSeconds: 600, lockoutSeconds: 900 };
const t0 = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('login throttle', () => {
  it('locks an address at its limit, refuses it until the lockout ends, and leaves other addresses alone', async () => {
    const a = { ip: '203.0.113.1', account: 'admin-ip-test' };
    expect(await recordLoginFailure(db.pool, a, at(0), limits)).toEqual({ locked: false });
    expect(await recordLoginFailure(db.pool, a, at(10), limits)).toEqual({ locked: false });
    const third = await recordLoginFailure(db.pool, a, at(20), limits);
    expect(third).toMatchObject({ locked: true, scope: 'ip', retryAfterSeconds: 900 });
    expect(await loginThrottleState(db.pool, a, at(320))).toMatchObject({
      locked: true,
      scope: 'ip',
      retryAfterSeconds: 600,
    });
    // Another address for the same account is not locked (the account is at 3 of 5).
    expect(await loginThrottleState(db.pool, { ...a, ip: '203.0.113.2' }, at(320))).toEqual({
      locked: false,
    });
    // After the lockout (and its window) the address starts again from zero.
    expect(await loginThrottleState(db.pool, a, at(920))).toEqual({ locked: false });
    expect(await recordLoginFailure(db.pool, a, at(1000), limits)).toEqual({ locked: false });
  });

  it('locks an account when failures spread over many addresses reach its limit', async () => {
    const account = 'admin-account-test';
    for (let i = 0; i < 4; i++)
      expect(await recordLoginFailure(db.pool, { ip: `198.51.100.${i}`, account }, at(i), limits)).toEqual({
        locked: false,
      });
    expect(await recordLoginFailure(db.pool, { ip: '198.51.100.9', account }, at(5), limits)).toMatchObject({
      locked: true,
      scope: 'account',
    });
    expect(await loginThrottleState(db.pool, { ip: '192.0.2.77', account }, at(60))).toMatchObject({
      locked: true,
      scope: 'account',
      retryAfterSeconds: 845,
    });
  });

  it('counts in a window: failures older than the window do not add up', async () => {
    const s = { ip: '203.0.113.50', account: 'admin-window-test' };
    await recordLoginFailure(db.pool, s, at(0), limits);
    await recordLoginFailure(db.pool, s, at(100), limits);
    // 601 s after the window started it restarts: this is failure 1 of a new window.
    expect(await recordLoginFailure(db.pool, s, at(601), limits)).toEqual({ locked: false });
    expect(await recordLoginFailure(db.pool, s, at(602), limits)).toEqual({ locked: false });
    expect(await recordLoginFailure(db.pool, s, at(603), limits)).toMatchObject({
      locked: true,
      scope: 'ip',
    });
  });

  it('a successful sign-in clears its address and account; concurrent failures are all counted', async () => {
    const s = { ip: '203.0.113.60', account: 'admin-clear-test' };
    await recordLoginFailure(db.pool, s, at(0), limits);
    await recordLoginFailure(db.pool, s, at(1), limits);
    await clearLoginFailures(db.pool, s);
    expect(await recordLoginFailure(db.pool, s, at(2), limits)).toEqual({ locked: false });
    await clearLoginFailures(db.pool, s);

    const c = { ip: null, account: 'admin-concurrent-test' };
    await Promise.all(Array.from({ length: 5 }, () => recordLoginFailure(db.pool, c, at(10), limits)));
    const { rows } = await db.pool.query(
      `select failures, locked_until from public.admin_login_failures where key = 'account:admin-concurrent-test'`,
    );
    expect(rows[0]).toEqual({ failures: 5, locked_until: at(910) });
  });
});
