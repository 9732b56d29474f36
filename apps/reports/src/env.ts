import { envSchemas, readEnv } from '@org/config';

/** The CLI's one read of the environment; commands take what they need from here. */
export const cliEnvShape = {
  ...envSchemas.database,
  ...envSchemas.stripe,
  ...envSchemas.anthropic,
  ...envSchemas.notifications,
  ...envSchemas.reporting,
  ...envSchemas.ledger,
  ...envSchemas.admin,
};

export type CliEnv = ReturnType<typeof readCliEnv>;

export function readCliEnv(source: Record<string, string | undefined> = process.env) {
  return readEnv(cliEnvShape, source);
}
