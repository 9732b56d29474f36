import { type Database, openDatabase } from '@org/db';
import type { CliEnv } from './env.ts';
import type { Output } from './output.ts';

/** What every command receives: validated env, output, and the database on demand. */
export interface CommandContext {
  env: CliEnv;
  /** The unvalidated environment, only to hand on to child processes (PATH, locale...). */
  processEnv: Record<string, string | undefined>;
  out: Output;
  /** Opens the database once (starting the embedded server if needed) and closes it after the command. */
  database(): Promise<Database>;
}

export function createContext(
  env: CliEnv,
  out: Output,
  processEnv: Record<string, string | undefined> = {},
): CommandContext & { close(): Promise<void> } {
  let opened: Promise<Database> | undefined;
  return {
    env,
    processEnv,
    out,
    database() {
      opened ??= openDatabase(env);
      return opened;
    },
    async close() {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
