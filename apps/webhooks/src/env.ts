import { envSchemas, readEnv } from '@org/config';

/** The webhook app's one read of the environment. */
export const webhooksEnvShape = {
  ...envSchemas.database,
  ...envSchemas.stripe,
  ...envSchemas.http,
  ...envSchemas.ledger,
  ...envSchemas.notifications,
  ...envSchemas.reporting,
};

export type WebhooksEnv = ReturnType<typeof readWebhooksEnv>;

export function readWebhooksEnv(source: Record<string, string | undefined> = process.env) {
  return readEnv(webhooksEnvShape, source);
}
