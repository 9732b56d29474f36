import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  beginLoginAttempt,
  clearLoginFailures,
  type LoginThrottleLimits,
  loginDelaySeconds,
  loginThrottleState,
} from '../src/login-throttle.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

const limits: LoginThrottleLimits = {
  perIp: 3,
  perAccount: 5,
  perDevice: 2,
  baseDelaySeconds: 60,
  maxDelaySeconds: 240,
  forgetAfterSeconds: 3600,
};
const t0 = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('login delays', () => {
  it('are free up to the allowance, then double up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => loginDelaySeconds(n, 3, limits))).toEqual([
      0, 0, 60, 120, 240, 240, 240, 240,
    ]);
    expect(loginDelaySeconds(10_000, 1, { ...limits, maxDelaySeconds: 900 })).toBe(900);
  });
});

describe('login throttle', () => {
  it('delays an address after its allowance instead of locking it, and leaves other addresses alone', async () => {
    const a = { ip: '203.0.113.1', account: 'admin-ip-test' };
    expect(await beginLoginAttempt(db.pool, a, at(0), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, a, at(1), limits)).toEqual({ allowed: true });
    // The third failure is the last free one: the next attempt waits 60 s.
    expect(await beginLoginAttempt(db.pool, a, at(2), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, a, at(12), limits)).toMatchObject({
      allowed: false,
      scope: 'ip',
      retryAfterSeconds: 50,
    });
    expect(await loginThrottleState(db.pool, a, at(12))).toMatchObject({ allowed: false, scope: 'ip' });
    // Refused attempts cost nothing; another address for the same account is not delayed (3 of 5).
    expect(await beginLoginAttempt(db.pool, { ...a, ip: '203.0.113.2' }, at(13), limits)).toEqual({
      allowed: true,
    });
    // After the wait the address may try again; each failure doubles the wait, up to the cap.
    expect(await beginLoginAttempt(db.pool, a, at(62), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, a, at(63), limits)).toMatchObject({
      scope: 'ip',
      retryAfterSeconds: 119,
    });
  });

  it('never locks the owner out: under continuous guessing an attempt is allowed after at most the cap', async () => {
    const attacker = (i: number) => ({ ip: `198.51.100.${i % 200}`, account: 'admin-siege-test' });
    let now = 0;
    for (let i = 0; i < 40; i++) {
      const attempt = await beginLoginAttempt(db.pool, attacker(i), at(now), limits);
      if (attempt.allowed) continue;
      expect(attempt.scope).toBe('account');
      expect(attempt.retryAfterSeconds).toBeLessThanOrEqual(limits.maxDelaySeconds);
      // The attacker comes back the moment the wait ends.
      now += attempt.retryAfterSeconds;
      expect(await beginLoginAttempt(db.pool, attacker(i), at(now), limits)).toEqual({ allowed: true });
    }
    const owner = { ip: '192.0.2.1', account: 'admin-siege-test' };
    const state = await loginThrottleState(db.pool, owner, at(now));
    expect(state).toMatchObject({ allowed: false, scope: 'account' });
    expect(state.allowed ? 0 : state.retryAfterSeconds).toBeLessThanOrEqual(240);
    expect(await beginLoginAttempt(db.pool, owner, at(now + 240), limits)).toEqual({ allowed: true });
  });

  it('a known browser is not delayed by guessing elsewhere, and has its own allowance', async () => {
    const account = 'admin-device-test';
    for (let i = 0; i < 5; i++)
      await beginLoginAttempt(db.pool, { ip: `198.51.100.${i}`, account }, at(i), limits);
    expect(await loginThrottleState(db.pool, { ip: '192.0.2.9', account }, at(10))).toMatchObject({
      allowed: false,
      scope: 'account',
    });
    // The owner's browser, even behind the guessers' address, is counted on its own key.
    const known = { ip: '198.51.100.0', account, device: 'dev-1' };
    expect(await beginLoginAttempt(db.pool, known, at(10), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, known, at(11), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, known, at(12), limits)).toMatchObject({
      allowed: false,
      scope: 'device',
    });
    // Another known browser is unaffected; its success clears only its own key.
    const other = { ...known, device: 'dev-2' };
    expect(await beginLoginAttempt(db.pool, other, at(12), limits)).toEqual({ allowed: true });
    await clearLoginFailures(db.pool, other);
    expect(await loginThrottleState(db.pool, { ip: '192.0.2.9', account }, at(12))).toMatchObject({
      scope: 'account',
    });
  });

  it('counts concurrent attempts one by one: guesses sent together get no more than the allowance', async () => {
    const s = { ip: '203.0.113.70', account: 'admin-concurrent-test' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => beginLoginAttempt(db.pool, s, at(0), limits)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
    const { rows } = await db.pool.query(
      `select key, failures from public.admin_login_throttle where key like '%admin-concurrent-test' or key = 'ip:203.0.113.70' order by key`,
    );
    expect(rows).toEqual([
      { key: 'account:admin-concurrent-test', failures: 3 },
      { key: 'ip:203.0.113.70', failures: 3 },
    ]);
  });

  it('a success clears its keys; a quiet key starts from zero again', async () => {
    const s = { ip: '203.0.113.60', account: 'admin-clear-test' };
    for (let i = 0; i < 3; i++) await beginLoginAttempt(db.pool, s, at(i), limits);
    await clearLoginFailures(db.pool, s);
    expect(await beginLoginAttempt(db.pool, s, at(3), limits)).toEqual({ allowed: true });

    const q = { ip: '203.0.113.61', account: 'admin-quiet-test' };
    for (let i = 0; i < 3; i++) await beginLoginAttempt(db.pool, q, at(i), limits);
    // An hour after the last failure, the count restarts: two more failures are free.
    expect(await beginLoginAttempt(db.pool, q, at(3602), limits)).toEqual({ allowed: true });
    expect(await beginLoginAttempt(db.pool, q, at(3603), limits)).toEqual({ allowed: true });
    expect(await loginThrottleState(db.pool, q, at(3604))).toEqual({ allowed: true });
  });
});
