import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { limitedWrite, type WriteLimits } from './tx.ts';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** How long an ingest handler trusts a verified key without looking it up again (default). */
export const DEFAULT_KEY_CACHE_MS = 5_000;

/**
 * Keys verified in this process (by hash): one cache for every ingest handler of the process, so
 * `revokeApiKey` here evicts the key at once. Other processes keep trusting it for at most their
 * handlers' `keyCacheMs`.
 */
const verified = new Map<string, { id: string; app: string; at: number }>();
const MAX_CACHED_KEYS = 1000;
// Bumped by every eviction: a lookup that started before a revocation must not cache its answer.
let generation = 0;

/** Pass to `rememberKey` the value read before the lookup. */
export const keyCacheGeneration = () => generation;

/** The app of a key verified at most `maxAgeMs` ago (by the caller's clock `now`), else null. */
export function cachedKeyApp(hash: string, now: number, maxAgeMs: number): string | null {
  const entry = verified.get(hash);
  if (!entry) return null;
  const age = now - entry.at;
  // A clock that went backwards counts as expired.
  if (age < 0 || age >= maxAgeMs) {
    verified.delete(hash);
    return null;
  }
  return entry.app;
}

export function rememberKey(
  hash: string,
  key: { id: string; app: string },
  now: number,
  lookedUpAt: number,
): void {
  if (lookedUpAt !== generation) return;
  if (verified.size >= MAX_CACHED_KEYS) verified.clear();
  verified.set(hash, { ...key, at: now });
}

/** Drops every cached verification of the key with this id (or of all keys without an id). */
export function forgetApiKey(id?: string): void {
  generation++;
  if (id === undefined) {
    verified.clear();
    return;
  }
  for (const [hash, entry] of verified) if (entry.id === id) verified.delete(hash);
}

/**
 * Looks a key up (and stamps `last_used_at`): its id and app when active, null when unknown or
 * revoked. Bounded by `limits` like the ingest write (a lock on the key's row held elsewhere must
 * not hold requests).
 */
export async function verifyApiKey(
  pool: Pool,
  hash: string,
  limits: WriteLimits = {},
): Promise<{ id: string; app: string } | null> {
  const { rows } = await limitedWrite(pool, limits, (client) =>
    client.query<{ id: string; app: string }>(
      'update public.metrics_api_keys set last_used_at = now() where key_hash = $1 and revoked_at is null returning id, app',
      [hash],
    ),
  );
  return rows[0] ?? null;
}

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

/**
 * Revokes a key. Ingest handlers of this process refuse it from the next request on (their shared
 * cache entry is evicted); handlers of other processes within their key cache time (`keyCacheMs`,
 * default 5 s).
 */
export async function revokeApiKey(pool: Pool, id: string, at: Date): Promise<boolean> {
  try {
    const { rowCount } = await pool.query(
      'update public.metrics_api_keys set revoked_at = $2 where id = $1 and revoked_at is null',
      [id, at],
    );
    return rowCount === 1;
  } finally {
    forgetApiKey(id);
  }
}

/** The app of an active key, or null. */
export async function findApiKeyApp(pool: Pool, key: string): Promise<{ id: string; app: string } | null> {
  const { rows } = await pool.query<{ id: string; app: string }>(
    'select id, app from public.metrics_api_keys where key_hash = $1 and revoked_at is null',
    [hashApiKey(key)],
  );
  return rows[0] ?? null;
}
