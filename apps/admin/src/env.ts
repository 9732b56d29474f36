import 'server-only';
import { envSchemas, readEnv } from '@org/config';

/** The admin app's one read of the environment (server only). */
export const adminEnvShape = {
  ...envSchemas.database,
  ...envSchemas.reporting,
  ...envSchemas.admin,
  METRICS_APP: envSchemas.notifications.METRICS_APP,
};

const parse = () => readEnv(adminEnvShape, process.env);
export type AdminEnv = ReturnType<typeof parse>;

let cached: AdminEnv | undefined;

export function readAdminEnv(): AdminEnv {
  cached ??= parse();
  return cached;
}
