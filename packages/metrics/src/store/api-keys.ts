import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Creates an ingest API key for an app. The plain key is returned once; only its hash is stored. */
export async function createApiKey(
  pool: Pool,
  input: { app: string; name: string },
): Promise<{ id: string; key: string; prefix: string }> {
  const prefix = randomBytes(4).toString('hex');
  const key = `mk_${prefix}_${randomBytes(24).toString('base64url')}`;
  const { rows } = await pool.query<{ id: string }>(
    'insert into public.metrics_api_keys (app, name, prefix, key_hash) values ($1, $2, $3, $4) returning id',
    [input.app, input.name, prefix, hashApiKey(key)],
  );
  return { id: rows[0]!.id, key, prefix };
}

export async function revokeApiKey(pool: Pool, id: string, at: Date): Promise<boolean> {
  const { rowCount } = await pool.query(
    'update public.metrics_api_keys set revoked_at = $2 where id = $1 and revoked_at is null',
    [id, at],
  );
  return rowCount === 1;
}

/** The app of an active key, or null. */
export async function findApiKeyApp(pool: Pool, key: string): Promise<{ id: string; app: string } | null> {
  const { rows } = await pool.query<{ id: string; app: string }>(
    'select id, app from public.metrics_api_keys where key_hash = $1 and revoked_at is null',
    [hashApiKey(key)],
  );
  return rows[0] ?? null;
}
