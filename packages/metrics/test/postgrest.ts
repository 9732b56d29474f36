import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';

/**
 * A minimal stand-in for PostgREST's RPC endpoint (`POST /rest/v1/rpc/<fn>`), enough for
 * supabase-js: verifies the bearer JWT (HS256), runs `select public.<fn>(arg := $n, ...)` in a
 * transaction after `set local role <jwt role>` and `request.jwt.claims`, and answers errors in
 * PostgREST's JSON shape `{ code, details, hint, message }` with its status mapping.
 */
export interface FakePostgrest {
  url: string;
  sign(claims: Record<string, unknown>): string;
  close(): Promise<void>;
}

const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export function signJwt(secret: string, claims: Record<string, unknown>): string {
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify(claims));
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

function verifyJwt(secret: string, token: string): Record<string, unknown> | null {
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) return null;
  if (createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url') !== sig) return null;
  return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
}

function statusFor(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403;
  if (code === '42883' || code === 'PGRST202') return 404;
  if (code === '23505' || code === '23503') return 409;
  if (code.startsWith('22') || code.startsWith('23') || code === 'P0001') return 400;
  return 500;
}

export async function startFakePostgrest(
  pool: Pool,
  secret = 'super-secret-jwt-token-with-at-least-32-characters',
): Promise<FakePostgrest> {
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = req.url?.match(/^\/rest\/v1\/rpc\/([a-z_][a-z0-9_]*)$/);
    if (req.method !== 'POST' || !match)
      return send(404, {
        code: 'PGRST125',
        details: null,
        hint: null,
        message: 'Invalid path specified in request URL',
      });
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') || String(req.headers.apikey ?? '');
    const claims = verifyJwt(secret, token);
    if (!claims)
      return send(401, {
        code: 'PGRST301',
        details: null,
        hint: null,
        message: 'JWSError JWSInvalidSignature',
      });
    const role = String(claims.role ?? 'anon');
    const fn = match[1]!;
    let args: Record<string, unknown>;
    try {
      args = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(400, { code: 'PGRST102', details: null, hint: null, message: 'Empty or invalid json' });
    }
    const client = await pool.connect();
    try {
      const sig = await client.query<{ names: string[]; types: string[] }>(
        `select p.proargnames as names, array(select format_type(t, null) from unnest(p.proargtypes) t) as types
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname = $1`,
        [fn],
      );
      const def = sig.rows[0];
      if (!def || Object.keys(args).some((k) => !def.names.includes(k))) {
        return send(404, {
          code: 'PGRST202',
          details: null,
          hint: null,
          message: `Could not find the function public.${fn}(${Object.keys(args).sort().join(', ')}) in the schema cache`,
        });
      }
      const values: unknown[] = [];
      const named = Object.entries(args).map(([k, v]) => {
        const type = def.types[def.names.indexOf(k)]!;
        values.push(type === 'jsonb' || type === 'json' ? JSON.stringify(v) : v);
        return `"${k}" := $${values.length}::${type}`;
      });
      await client.query('begin');
      await client.query(
        `set local role ${role === 'service_role' ? 'service_role' : role === 'authenticated' ? 'authenticated' : 'anon'}`,
      );
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      const result = await client.query(`select public."${fn}"(${named.join(', ')}) as value`, values);
      await client.query('commit');
      send(200, result.rows[0]?.value ?? null);
    } catch (error) {
      await client.query('rollback').catch(() => {});
      const e = error as { code?: string; message: string; detail?: string; hint?: string };
      const code = e.code ?? 'XX000';
      send(statusFor(code, role), {
        code,
        details: e.detail ?? null,
        hint: e.hint ?? null,
        message: e.message,
      });
    } finally {
      client.release();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sign: (claims) => signJwt(secret, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
