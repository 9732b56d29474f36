import { randomBytes } from 'node:crypto';
import { type NextRequest, NextResponse } from 'next/server';
import { isDevelopment } from './env.ts';
import { requestOrigin } from './lib/auth/request-origin.ts';
import { contentSecurityPolicy, STRICT_TRANSPORT_SECURITY } from './lib/security-headers.ts';

/**
 * Every page, route handler and redirect gets the content security policy with a fresh nonce, and
 * HSTS when the client came over https. (The headers that need no per-request value, such as
 * nosniff and the referrer policy, come from next.config.ts for every response, static files too.)
 */
export function proxy(request: NextRequest): NextResponse {
  const origin = requestOrigin(request.headers);
  const csp = contentSecurityPolicy({
    nonce: randomBytes(16).toString('base64'),
    https: origin.https,
    dev: isDevelopment(),
  });
  const forwarded = new Headers(request.headers);
  forwarded.set('content-security-policy', csp);
  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set('content-security-policy', csp);
  if (origin.https) response.headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  return response;
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
