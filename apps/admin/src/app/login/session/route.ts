import { z } from 'zod';
import { login, sameOrigin } from '../../../lib/auth/server.ts';

export const dynamic = 'force-dynamic';

const body = z.object({
  email: z.string().trim().max(320).optional(),
  password: z.string().min(1, 'Enter the password.').max(1024),
});

/**
 * Sign-in from the login form: JSON `{ email?, password }` (the form with JavaScript) or a form post
 * (without). JSON: 204 with the session cookie set, else `{ error }` with 400 bad input, 401 wrong
 * password, 403 not an admin or cross-origin, 429 too many failed sign-ins (with Retry-After). A form
 * post gets a 303 to the dashboard, or the message as text with the same status.
 */
export async function POST(request: Request): Promise<Response> {
  const json = (request.headers.get('content-type') ?? '').includes('application/json');
  const fail = (status: number, error: string, headers: Record<string, string> = {}) =>
    json
      ? Response.json({ error }, { status, headers })
      : new Response(`${error}\n`, {
          status,
          headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        });
  if (!sameOrigin(request)) return fail(403, 'Cross-origin request refused.');
  const input = json
    ? await request.json().catch(() => null)
    : await request
        .formData()
        .then((f) => ({
          password: f.get('password') ?? undefined,
          email: f.get('email') || undefined,
        }))
        .catch(() => null);
  const parsed = body.safeParse(input);
  if (!parsed.success) return fail(400, parsed.error.issues[0]?.message ?? 'Invalid request.');
  const { email, password } = parsed.data;
  const result = await login({ password, ...(email ? { email } : {}) });
  if (result.ok)
    return json
      ? new Response(null, { status: 204 })
      : new Response(null, { status: 303, headers: { location: '/' } });
  return fail(
    result.status,
    result.error,
    result.retryAfterSeconds ? { 'retry-after': String(result.retryAfterSeconds) } : {},
  );
}
