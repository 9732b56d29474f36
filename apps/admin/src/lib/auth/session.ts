import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signed session token: base64url(JSON payload) + '.' + base64url(HMAC-SHA256). No I/O, no clock. */
export interface SessionPayload {
  sub: string;
  /** issued at / expires at, epoch seconds */
  iat: number;
  exp: number;
  /** fingerprint of the password in force when signed: changing the password ends old sessions */
  pv: string;
}

export const SESSION_COOKIE = 'org_admin_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest();

export function passwordFingerprint(secret: string, passwordSource: string): string {
  return mac(secret, `password:${passwordSource}`).subarray(0, 12).toString('base64url');
}

export function signSession(secret: string, payload: SessionPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export function verifySession(
  secret: string,
  token: string | undefined,
  nowSeconds: number,
  expectedPv: string,
): SessionPayload | null {
  if (!token) return null;
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return null;
  const expected = mac(secret, body);
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  let payload: SessionPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
  } catch {
    return null;
  }
  if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) return null;
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + 60) return null;
  if (payload.pv !== expectedPv) return null;
  return payload;
}
