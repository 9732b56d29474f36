import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Supabase Auth (GoTrue) speaking the wire format @supabase/supabase-js uses:
 * POST /auth/v1/token?grant_type=password, GET /auth/v1/user, POST /auth/v1/logout. Users are
 * given with their password and app_metadata; tokens are JWT-shaped (unsigned: the app only ever
 * asks this server who a token belongs to).
 */
export interface FakeUser {
  id: string;
  email: string;
  password: string;
  appMetadata: Record<string, unknown>;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startFakeSupabase(users: FakeUser[]): Promise<{ url: string; close(): Promise<void> }> {
  const tokens = new Map<string, FakeUser>();
  const userJson = (u: FakeUser) => ({
    id: u.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: u.email,
    app_metadata: u.appMetadata,
    user_metadata: {},
    created_at: '2026-01-01T00:00:00Z',
  });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, json?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (
        req.method === 'POST' &&
        url.pathname === '/auth/v1/token' &&
        url.searchParams.get('grant_type') === 'password'
      ) {
        const { email, password } = JSON.parse(body || '{}') as { email?: string; password?: string };
        const user = users.find((u) => u.email === email && u.password === password);
        if (!user)
          return send(400, {
            code: 400,
            error_code: 'invalid_credentials',
            msg: 'Invalid login credentials',
          });
        const now = Math.floor(Date.now() / 1000);
        const access = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user.id, email, role: 'authenticated', aud: 'authenticated', exp: now + 3600, iat: now, app_metadata: user.appMetadata })}.sig${tokens.size}`;
        tokens.set(access, user);
        return send(200, {
          access_token: access,
          token_type: 'bearer',
          expires_in: 3600,
          expires_at: now + 3600,
          refresh_token: `refresh-${tokens.size}`,
          user: userJson(user),
        });
      }
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (req.method === 'GET' && url.pathname === '/auth/v1/user') {
        const user = tokens.get(bearer);
        return user
          ? send(200, userJson(user))
          : send(401, { code: 401, error_code: 'bad_jwt', msg: 'invalid JWT' });
      }
      if (req.method === 'POST' && url.pathname === '/auth/v1/logout') {
        tokens.delete(bearer);
        return send(204);
      }
      return send(404, { msg: `not found: ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
