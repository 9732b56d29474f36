import 'server-only';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ensureAdminCredentials, verifyAdminPassword } from '@org/db';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { readAdminEnv } from '../../env.ts';
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

/** The signed-in admin, or null. Checked on the server for every page, route handler and action. */
export async function currentAdmin(): Promise<Admin | null> {
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
}

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

export type LoginResult = { ok: true } | { ok: false; error: string };

export async function login(input: { email?: string; password: string }): Promise<LoginResult> {
  const supabase = supabaseSettings();
  if (supabase) {
    if (!input.email) return { ok: false, error: 'Email and password are required.' };
    const client = await supabaseServerClient(supabase.url, supabase.anonKey);
    const { data, error } = await client.auth.signInWithPassword({
      email: input.email,
      password: input.password,
    });
    if (error || !data.user) return { ok: false, error: 'Wrong email or password.' };
    if (!isAdminClaim(data.user)) {
      await client.auth.signOut();
      return { ok: false, error: 'This account is not an admin.' };
    }
    return { ok: true };
  }
  const settings = passwordSettings();
  if (!settings.check(input.password)) return { ok: false, error: 'Wrong password.' };
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

/** Route handlers: 401 unless admin; mutating methods also need a same-origin Origin header. */
export async function guardRoute(request: Request): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const origin = request.headers.get('origin');
    const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
    if (!origin || !host || new URL(origin).host !== host)
      return Response.json({ error: 'cross-origin request refused' }, { status: 403 });
  }
  if (!(await currentAdmin())) return Response.json({ error: 'unauthenticated' }, { status: 401 });
  return null;
}
