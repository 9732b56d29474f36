import 'server-only';
import { envSchemas, readEnv } from '@org/config';
import { z } from 'zod';
import { parseTrustedProxies } from './lib/auth/client-address.ts';

const seconds = z.coerce.number().int().min(1).max(86_400);

/** Sign-in and proxy settings of the dashboard (no other app reads them). */
export const adminAuthEnvShape = {
  ADMIN_TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const parsed = parseTrustedProxies(text);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    })
    .describe(
      'Reverse proxies whose X-Forwarded-For/-Proto/-Host the dashboard believes: IPs or CIDR ranges, comma-separated (unset: none, the socket address is the client)',
    ),
  ADMIN_LOGIN_MAX_FAILURES_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe(
      'Failed dashboard sign-ins from one address (or one known browser) before each further attempt waits',
    ),
  ADMIN_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe(
      'Failed dashboard sign-ins for one account, from browsers that never signed in, before each further attempt waits',
    ),
  ADMIN_LOGIN_BASE_DELAY_SECONDS: seconds
    .default(1)
    .describe('First wait after the allowed failures; each further failure doubles it'),
  ADMIN_LOGIN_MAX_DELAY_SECONDS: seconds.default(900).describe('Longest wait between sign-in attempts'),
};

/** The admin app's one read of the environment (server only). */
export const adminEnvShape = {
  ...envSchemas.database,
  ...envSchemas.reporting,
  ...envSchemas.admin,
  ...adminAuthEnvShape,
  METRICS_APP: envSchemas.notifications.METRICS_APP,
};

const parse = () => readEnv(adminEnvShape, process.env);
export type AdminEnv = ReturnType<typeof parse>;

let cached: AdminEnv | undefined;

export function readAdminEnv(): AdminEnv {
  cached ??= parse();
  return cached;
}

/** `next dev` (React needs eval there, which the content security policy allows only then). */
export const isDevelopment = () => process.env.NODE_ENV === 'development';
