import 'server-only';
import { type Database, openDatabase } from '@org/db';
import { readAdminEnv } from '../env.ts';

// One pool per server process, opened on first use (the embedded server starts then if needed).
// Kept on globalThis so dev-mode module reloads reuse it.
const holder = globalThis as typeof globalThis & { __orgAdminDb?: Promise<Database> | undefined };

export function database(): Promise<Database> {
  if (!holder.__orgAdminDb) {
    const env = readAdminEnv();
    holder.__orgAdminDb = openDatabase({
      DATABASE_URL: env.DATABASE_URL,
      DATABASE_POOL_MAX: env.DATABASE_POOL_MAX,
      ORG_DATA_DIR: env.ORG_DATA_DIR,
      EMBEDDED_PG_PORT: env.EMBEDDED_PG_PORT,
    }).catch((error: unknown) => {
      holder.__orgAdminDb = undefined;
      throw error;
    });
  }
  return holder.__orgAdminDb;
}

export async function pool() {
  return (await database()).pool;
}
