import { describe, expect, it } from 'vitest';
import { passwordFingerprint, signSession, verifySession } from './session.ts';

describe('session tokens', () => {
  const secret = 'a-secret-of-sufficient-length';
  const pv = passwordFingerprint(secret, 'pw');
  const token = signSession(secret, { sub: 'admin', iat: 1000, exp: 2000, pv });

  it('verifies a token it signed until it expires', () => {
    expect(verifySession(secret, token, 1500, pv)?.sub).toBe('admin');
    expect(verifySession(secret, token, 2000, pv)).toBeNull();
  });

  it('refuses tampered payloads, other secrets, a changed password and junk', () => {
    const [body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', iat: 1000, exp: 9999, pv })).toString(
      'base64url',
    );
    expect(verifySession(secret, `${forged}.${sig}`, 1500, pv)).toBeNull();
    expect(verifySession('another-secret', token, 1500, pv)).toBeNull();
    expect(verifySession(secret, token, 1500, passwordFingerprint(secret, 'new-pw'))).toBeNull();
    expect(verifySession(secret, `${body}`, 1500, pv)).toBeNull();
    expect(verifySession(secret, `${token}.x`, 1500, pv)).toBeNull();
    expect(verifySession(secret, undefined, 1500, pv)).toBeNull();
  });
});
