import { withTransaction } from '@org/db';
import type { Client, Pool, PoolClient } from 'pg';

export type Queryable = Pool | PoolClient | Client;

/** Bounds of a write behind an acknowledgement (SET LOCAL in its transaction). */
export interface WriteLimits {
  /** Longest wait for a lock, ms (default 5,000). */
  lockTimeoutMs?: number | undefined;
  /** Longest statement, ms (default 30,000). */
  statementTimeoutMs?: number | undefined;
}

const ms = (value: number | undefined, fallback: number) => {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0)
    throw new RangeError(`timeout must be a non-negative integer, got ${v}`);
  return v;
};

// Duck-typed: a pool from another copy of pg is a pool too.
const isPool = (db: Queryable): db is Pool => 'totalCount' in db && 'idleCount' in db;

/**
 * Runs a write with bounded waits (behind an acknowledgement, or DDL beside ingest). With a pool: its own transaction through
 * `withTransaction` (durable commit, `synchronous_commit = on`) with `lock_timeout` and
 * `statement_timeout` set locally. With a client, the caller owns the transaction and its limits;
 * the key and usage tables' statement triggers make any transaction writing them commit durably.
 */
export async function limitedWrite<T>(
  db: Queryable,
  limits: WriteLimits,
  fn: (client: Queryable) => Promise<T>,
): Promise<T> {
  if (!isPool(db)) return fn(db);
  const lock = ms(limits.lockTimeoutMs, 5_000);
  const statement = ms(limits.statementTimeoutMs, 30_000);
  return withTransaction(db, async (client) => {
    await client.query(`set local lock_timeout = ${lock}; set local statement_timeout = ${statement}`);
    return fn(client);
  });
}
