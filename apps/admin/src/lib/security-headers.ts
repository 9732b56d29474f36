/**
 * Security headers of the dashboard. The content security policy allows scripts by a per-request
 * nonce only (Next.js puts it on its own scripts when it finds it in the request's policy), styles
 * from the app and inline (recharts sets style attributes), and nothing from other origins; the
 * dashboard may not be framed. Pure.
 */
export function contentSecurityPolicy(options: { nonce: string; https: boolean; dev: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** HSTS, sent only on https (browsers ignore it over http anyway): two years, subdomains included. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';
