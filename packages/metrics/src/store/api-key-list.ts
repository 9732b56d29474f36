import type { Pool } from 'pg';

/** An ingest API key as admins may see it: never the key or its hash, only the prefix that names it. */
export interface ApiKeyInfo {
  id: string;
  app: string;
  name: string;
  /** The key's visible prefix: keys read `mk_<prefix>_...`. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Ingest API keys, newest first; active ones only unless `includeRevoked`. */
export async function listApiKeys(
  pool: Pool,
  options: { app?: string | undefined; includeRevoked?: boolean } = {},
): Promise<ApiKeyInfo[]> {
  const { rows } = await pool.query<{
    id: string;
    app: string;
    name: string;
    prefix: string;
    created_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
  }>(
    `select id, app, name, prefix, created_at, last_used_at, revoked_at
       from public.metrics_api_keys
      where ($1::text is null or app = $1) and ($2 or revoked_at is null)
      order by created_at desc, id`,
    [options.app ?? null, options.includeRevoked ?? false],
  );
  return rows.map((r) => ({
    id: r.id,
    app: r.app,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}
