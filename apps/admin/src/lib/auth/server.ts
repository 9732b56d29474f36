import 'server-only';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  adminSessionAccount,
  beginLoginAttempt,
  clearLoginFailures,
  createAdminSession,
  ensureAdminCredentials,
  type LoginAttempt,
  type LoginSubject,
  type LoginThrottleLimits,
  revokeAdminSession,
  verifyAdminPassword,
} from '@org/db';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { readAdminEnv } from '../../env.ts';
import { pool } from '../db.ts';
import { requestOrigin } from './request-origin.ts';
import {
  DEVICE_COOKIE,
  DEVICE_TTL_SECONDS,
  passwordFingerprint,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  signDevice,
  signSession,
  verifyDevice,
  verifySession,
} from './session.ts';
import { isAdminClaim, supabaseServerClient } from './supabase.ts';

export interface Admin {
  id: string;
  method: 'password' | 'supabase';
}

function supabaseSettings(): { url: string; anonKey: string } | null {
  const env = readAdminEnv();
  if (!env.NEXT_PUBLIC_SUPABASE_URL) return null;
  if (!env.NEXT_PUBLIC_SUPABASE_ANON_KEY)
    throw new Error('NEXT_PUBLIC_SUPABASE_URL is set but NEXT_PUBLIC_SUPABASE_ANON_KEY is not.');
  return { url: env.NEXT_PUBLIC_SUPABASE_URL, anonKey: env.NEXT_PUBLIC_SUPABASE_ANON_KEY };
}

export const authMode = (): Admin['method'] => (supabaseSettings() ? 'supabase' : 'password');

/** Session secret from `<data dir>/admin.json`; the password source is ADMIN_PASSWORD or the generated hash. */
function passwordSettings() {
  const env = readAdminEnv();
  const credentials = ensureAdminCredentials(env.ORG_DATA_DIR);
  const source = env.ADMIN_PASSWORD ?? credentials.passwordHash;
  return {
    secret: credentials.sessionSecret,
    pv: passwordFingerprint(credentials.sessionSecret, source),
    check(password: string): boolean {
      if (env.ADMIN_PASSWORD) {
        const a = createHash('sha256').update(password).digest();
        const b = createHash('sha256').update(env.ADMIN_PASSWORD).digest();
        return timingSafeEqual(a, b);
      }
      return verifyAdminPassword(password, credentials.passwordHash);
    },
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The signed-in admin, or null. Checked on the server for every page, route handler and action;
 * memoised per request (the layout and the page both ask).
 */
export const currentAdmin = cache(async (): Promise<Admin | null> => {
  const supabase = supabaseSettings();
  if (supabase) {
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    const { data } = await client.auth.getUser();
    return data.user && isAdminClaim(data.user) ? { id: data.user.id, method: 'supabase' } : null;
  }
  const settings = passwordSettings();
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const session = verifySession(settings.secret, token, nowSeconds(), settings.pv);
  if (!session) return null;
  // The signature proves we issued it; the record proves nobody signed it out since.
  const account = await adminSessionAccount(await pool(), session.sid, new Date());
  return account === session.sub ? { id: session.sub, method: 'password' } : null;
});

/** For pages and server actions: the admin, or a redirect to the login page. */
export async function requireAdmin(): Promise<Admin> {
  const admin = await currentAdmin();
  if (!admin) redirect('/login');
  return admin;
}

export type LoginResult =
  | { ok: true }
  | { ok: false; status: 400 | 401 | 403 | 429; error: string; retryAfterSeconds?: number };

function throttled(attempt: Extract<LoginAttempt, { allowed: false }>): LoginResult {
  const s = attempt.retryAfterSeconds;
  const wait =
    s < 60
      ? `${s} second${s === 1 ? '' : 's'}`
      : `${Math.ceil(s / 60)} minute${Math.ceil(s / 60) === 1 ? '' : 's'}`;
  const who =
    attempt.scope === 'ip'
      ? 'from this address'
      : attempt.scope === 'device'
        ? 'from this browser'
        : 'for this account';
  return {
    ok: false,
    status: 429,
    retryAfterSeconds: s,
    error: `Too many failed sign-ins ${who}. Try again in ${wait}.`,
  };
}

function throttleLimits(): LoginThrottleLimits {
  const env = readAdminEnv();
  return {
    perIp: env.ADMIN_LOGIN_MAX_FAILURES_PER_IP,
    perAccount: env.ADMIN_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    perDevice: env.ADMIN_LOGIN_MAX_FAILURES_PER_IP,
    baseDelaySeconds: env.ADMIN_LOGIN_BASE_DELAY_SECONDS,
    maxDelaySeconds: env.ADMIN_LOGIN_MAX_DELAY_SECONDS,
    forgetAfterSeconds: 24 * 60 * 60,
  };
}

/** The secret that signs known-browser cookies (admin.json), or null where that file cannot be written. */
function deviceSecret(): string | null {
  try {
    return ensureAdminCredentials(readAdminEnv().ORG_DATA_DIR).sessionSecret;
  } catch {
    return null;
  }
}

/**
 * Signs in with the password (embedded default) or Supabase Auth, under the sign-in throttle
 * (per address and per account, or per browser for a browser that signed in to this account
 * before; shared through Postgres): while a key waits, the attempt is refused before any password
 * check. A success sets a known-browser cookie, so guessing elsewhere never delays this browser.
 */
export async function login(input: { email?: string; password: string }): Promise<LoginResult> {
  const supabase = supabaseSettings();
  if (supabase && !input.email) return { ok: false, status: 400, error: 'Email and password are required.' };
  const account = supabase ? input.email!.trim().toLowerCase() : 'admin';
  const jar = await cookies();
  const origin = requestOrigin(await headers());
  const secret = deviceSecret();
  const device = secret ? verifyDevice(secret, jar.get(DEVICE_COOKIE)?.value, nowSeconds(), account) : null;
  const subject: LoginSubject = { ip: origin.ip, account, device: device?.dev ?? null };
  const db = await pool();
  const attempt = await beginLoginAttempt(db, subject, new Date(), throttleLimits());
  if (!attempt.allowed) return throttled(attempt);
  const cookieOptions = { httpOnly: true, sameSite: 'strict', secure: origin.https, path: '/' } as const;
  const succeeded = async (): Promise<LoginResult> => {
    await clearLoginFailures(db, subject);
    if (secret) {
      const iat = nowSeconds();
      const dev = device?.dev ?? randomBytes(16).toString('base64url');
      jar.set(DEVICE_COOKIE, signDevice(secret, { sub: account, dev, iat, exp: iat + DEVICE_TTL_SECONDS }), {
        ...cookieOptions,
        maxAge: DEVICE_TTL_SECONDS,
      });
    }
    return { ok: true };
  };

  if (supabase) {
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    const { data, error } = await client.auth.signInWithPassword({
      email: input.email!,
      password: input.password,
    });
    if (error || !data.user) return { ok: false, status: 401, error: 'Wrong email or password.' };
    if (!isAdminClaim(data.user)) {
      await client.auth.signOut();
      return { ok: false, status: 403, error: 'This account is not an admin.' };
    }
    return succeeded();
  }
  const settings = passwordSettings();
  if (!settings.check(input.password)) return { ok: false, status: 401, error: 'Wrong password.' };
  const now = new Date();
  const session = await createAdminSession(db, { account, now, ttlSeconds: SESSION_TTL_SECONDS });
  const iat = Math.floor(now.getTime() / 1000);
  const token = signSession(settings.secret, {
    sub: account,
    sid: session.id,
    iat,
    exp: iat + SESSION_TTL_SECONDS,
    pv: settings.pv,
  });
  jar.set(SESSION_COOKIE, token, { ...cookieOptions, maxAge: SESSION_TTL_SECONDS });
  return succeeded();
}

/** Ends the session on the server (a copy of the cookie stops working too) and drops the cookie. */
export async function logout(): Promise<void> {
  const supabase = supabaseSettings();
  if (supabase) {
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    await client.auth.signOut();
    return;
  }
  const jar = await cookies();
  const settings = passwordSettings();
  const session = verifySession(settings.secret, jar.get(SESSION_COOKIE)?.value, nowSeconds(), settings.pv);
  if (session) await revokeAdminSession(await pool(), session.sid);
  jar.delete(SESSION_COOKIE);
}

/** Whether a request's Origin header names this server (mutating requests must be same-origin). */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  const host = requestOrigin(request.headers).host;
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Route handlers: 401 unless admin; mutating methods also need a same-origin Origin header. */
export async function guardRoute(request: Request): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD' && !sameOrigin(request))
    return Response.json({ error: 'cross-origin request refused' }, { status: 403 });
  if (!(await currentAdmin())) return Response.json({ error: 'unauthenticated' }, { status: 401 });
  return null;
}
