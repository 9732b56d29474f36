import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens for cookies: base64url(JSON payload) + '.' + base64url(HMAC-SHA256 over a purpose
 * tag and the payload), so a token of one kind never passes as another. No I/O, no clock.
 */
export interface SessionPayload {
  sub: string;
  /** session id: the session is live only while the server holds its record (sign-out deletes it) */
  sid: string;
  /** issued at / expires at, epoch seconds */
  iat: number;
  exp: number;
  /** fingerprint of the password in force when signed: changing the password ends old sessions */
  pv: string;
}

export const SESSION_COOKIE = 'org_admin_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

/** A browser that signed in before: exempt from the per-account sign-in delay, never a login by itself. */
export interface DevicePayload {
  /** the account it signed in to */
  sub: string;
  /** random id: its own sign-in throttle key */
  dev: string;
  iat: number;
  exp: number;
}

export const DEVICE_COOKIE = 'org_admin_device';
export const DEVICE_TTL_SECONDS = 180 * 24 * 60 * 60;

type Purpose = 'session' | 'device';
const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest();
const sign = (secret: string, purpose: Purpose, payload: object) => {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, `${purpose}.${body}`).toString('base64url')}`;
};

function verify<T extends { iat: number; exp: number }>(
  secret: string,
  purpose: Purpose,
  token: string | undefined,
  nowSeconds: number,
): T | null {
  if (!token) return null;
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return null;
  const expected = mac(secret, `${purpose}.${body}`);
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  let payload: T;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
  if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) return null;
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + 60) return null;
  return payload;
}

export function passwordFingerprint(secret: string, passwordSource: string): string {
  return mac(secret, `password:${passwordSource}`).subarray(0, 12).toString('base64url');
}

export const signSession = (secret: string, payload: SessionPayload) => sign(secret, 'session', payload);

export function verifySession(
  secret: string,
  token: string | undefined,
  nowSeconds: number,
  expectedPv: string,
): SessionPayload | null {
  const payload = verify<SessionPayload>(secret, 'session', token, nowSeconds);
  if (!payload || payload.pv !== expectedPv || typeof payload.sid !== 'string' || !payload.sid) return null;
  return payload;
}

export const signDevice = (secret: string, payload: DevicePayload) => sign(secret, 'device', payload);

/** A known-browser token for `account`, or null (forged, expired, or another account's). */
export function verifyDevice(
  secret: string,
  token: string | undefined,
  nowSeconds: number,
  account: string,
): DevicePayload | null {
  const payload = verify<DevicePayload>(secret, 'device', token, nowSeconds);
  if (!payload || payload.sub !== account || typeof payload.dev !== 'string' || !payload.dev) return null;
  return payload;
}
