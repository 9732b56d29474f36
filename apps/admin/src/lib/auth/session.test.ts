import { describe, expect, it } from 'vitest';
import { passwordFingerprint, signDevice, signSession, verifyDevice, verifySession } from './session.ts';

describe('session tokens', () => {
  const secret = 'a-secret-of-sufficient-length';
  const pv = passwordFingerprint(secret, 'pw');
  const token = signSession(secret, { sub: 'admin', sid: 'sid-1', iat: 1000, exp: 2000, pv });

  it('verifies a token it signed until it expires', () => {
    expect(verifySession(secret, token, 1500, pv)).toMatchObject({ sub: 'admin', sid: 'sid-1' });
    expect(verifySession(secret, token, 2000, pv)).toBeNull();
  });

  it('refuses tampered payloads, other secrets, a changed password and junk', () => {
    const [body, sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'admin', sid: 'sid-1', iat: 1000, exp: 9999, pv }),
    ).toString('base64url');
    expect(verifySession(secret, `${forged}.${sig}`, 1500, pv)).toBeNull();
    expect(verifySession('another-secret', token, 1500, pv)).toBeNull();
    expect(verifySession(secret, token, 1500, passwordFingerprint(secret, 'new-pw'))).toBeNull();
    expect(verifySession(secret, `${body}`, 1500, pv)).toBeNull();
    expect(verifySession(secret, `${token}.x`, 1500, pv)).toBeNull();
    expect(verifySession(secret, undefined, 1500, pv)).toBeNull();
    // A session of the first version (no server-side id) is no longer accepted.
    const legacy = signSession(secret, { sub: 'admin', iat: 1000, exp: 2000, pv } as never);
    expect(verifySession(secret, legacy, 1500, pv)).toBeNull();
  });

  it('known-browser tokens are bound to their account and never pass as a session (or back)', () => {
    const device = signDevice(secret, { sub: 'admin', dev: 'dev-1', iat: 1000, exp: 5000 });
    expect(verifyDevice(secret, device, 1500, 'admin')).toMatchObject({ dev: 'dev-1' });
    expect(verifyDevice(secret, device, 1500, 'someone@example.test')).toBeNull();
    expect(verifyDevice(secret, device, 5000, 'admin')).toBeNull();
    expect(verifySession(secret, device, 1500, pv)).toBeNull();
    expect(verifyDevice(secret, token, 1500, 'admin')).toBeNull();
  });
});
