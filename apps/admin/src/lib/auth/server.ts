import 'server-only';
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  clearLoginFailures,
  ensureAdminCredentials,
  type LoginSubject,
  type LoginThrottleState,
  loginThrottleState,
  recordLoginFailure,
  verifyAdminPassword,
} from '@org/db';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { readAdminEnv } from '../../env.ts';
import { pool } from '../db.ts';
import {
  passwordFingerprint,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  signSession,
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
  return session ? { id: session.sub, method: 'password' } : null;
});

/** For pages and server actions: the admin, or a redirect to the login page. */
export async function requireAdmin(): Promise<Admin> {
  const admin = await currentAdmin();
  if (!admin) redirect('/login');
  return admin;
}

async function secureCookies(): Promise<boolean> {
  const h = await headers();
  return h.get('x-forwarded-proto') === 'https' || (h.get('origin') ?? '').startsWith('https://');
}

export type LoginResult =
  | { ok: true }
  | { ok: false; status: 400 | 401 | 403 | 429; error: string; retryAfterSeconds?: number };

/**
 * The client address of a request: the last `X-Forwarded-For` entry, which is the address the
 * nearest proxy saw (`next start` sets the header from the socket when no proxy did). A client
 * talking to the server directly can pick it, which the per-account limit covers.
 */
export function clientAddress(h: Headers): string | null {
  const forwarded = h.get('x-forwarded-for');
  const last = forwarded?.split(',').at(-1)?.trim();
  return last || h.get('x-real-ip')?.trim() || null;
}

function throttled(state: Extract<LoginThrottleState, { locked: true }>): LoginResult {
  const minutes = Math.ceil(state.retryAfterSeconds / 60);
  const wait = minutes <= 1 ? 'a minute' : `${minutes} minutes`;
  return {
    ok: false,
    status: 429,
    retryAfterSeconds: state.retryAfterSeconds,
    error:
      state.scope === 'ip'
        ? `Too many failed sign-ins from this address. Try again in ${wait}.`
        : `Too many failed sign-ins for this account. Try again in ${wait}.`,
  };
}

/**
 * Signs in with the password (embedded default) or Supabase Auth, under the failed-sign-in limits
 * (per address and per account, shared through Postgres): a locked address or account is refused
 * before any password check.
 */
export async function login(input: { email?: string; password: string }): Promise<LoginResult> {
  const supabase = supabaseSettings();
  if (supabase && !input.email) return { ok: false, status: 400, error: 'Email and password are required.' };
  const env = readAdminEnv();
  const limits = {
    perIp: env.ADMIN_LOGIN_MAX_FAILURES_PER_IP,
    perAccount: env.ADMIN_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: env.ADMIN_LOGIN_LOCKOUT_MINUTES * 60,
    lockoutSeconds: env.ADMIN_LOGIN_LOCKOUT_MINUTES * 60,
  };
  const subject: LoginSubject = {
    ip: clientAddress(await headers()),
    account: supabase ? input.email!.trim().toLowerCase() : 'admin',
  };
  const db = await pool();
  const before = await loginThrottleState(db, subject, new Date());
  if (before.locked) return throttled(before);
  const fail = async (status: 401 | 403, error: string): Promise<LoginResult> => {
    const after = await recordLoginFailure(db, subject, new Date(), limits);
    return after.locked ? throttled(after) : { ok: false, status, error };
  };

  if (supabase) {
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    const { data, error } = await client.auth.signInWithPassword({
      email: input.email!,
      password: input.password,
    });
    if (error || !data.user) return fail(401, 'Wrong email or password.');
    if (!isAdminClaim(data.user)) {
      await client.auth.signOut();
      return fail(403, 'This account is not an admin.');
    }
    await clearLoginFailures(db, subject);
    return { ok: true };
  }
  const settings = passwordSettings();
  if (!settings.check(input.password)) return fail(401, 'Wrong password.');
  await clearLoginFailures(db, subject);
  const iat = nowSeconds();
  const token = signSession(settings.secret, {
    sub: 'admin',
    iat,
    exp: iat + SESSION_TTL_SECONDS,
    pv: settings.pv,
  });
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: await secureCookies(),
    path: '/',
    maxAge: SESSION_TTL_SECONDS,
  });
  return { ok: true };
}

export async function logout(): Promise<void> {
  const supabase = supabaseSettings();
  if (supabase) {
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    await client.auth.signOut();
    return;
  }
  (await cookies()).delete(SESSION_COOKIE);
}

/** Whether a request's Origin header names this server (mutating requests must be same-origin). */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
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
