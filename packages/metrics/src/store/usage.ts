import type { Pool, PoolClient } from 'pg';
import { limitedWrite, type Queryable, type WriteLimits } from './tx.ts';

export interface UsageIncrement {
  app: string;
  userId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  counter?: string;
  amount?: number;
  /** A retried increment with the same key is applied once. */
  idempotencyKey?: string;
}

/**
 * Atomically adds to a usage counter (one SQL function call); returns the counter's new value.
 * The increment commits durably (`synchronous_commit = on`) whatever the server default: with a
 * pool in its own transaction bounded by `limits`; with a client, in the caller's transaction
 * (the counter tables' trigger makes it durable).
 */
export async function incrementUsage(
  db: Queryable,
  input: UsageIncrement,
  limits: WriteLimits = {},
): Promise<number> {
  const { rows } = await limitedWrite(db, limits, (client) =>
    client.query<{ value: string }>(
      'select public.increment_usage_counter($1, $2, $3::date, $4, $5, $6) as value',
      [
        input.app,
        input.userId,
        input.day,
        input.counter ?? 'requests',
        input.amount ?? 1,
        input.idempotencyKey ?? null,
      ],
    ),
  );
  return Number(rows[0]!.value);
}

/** Counter values for a user over [from, to) (UTC days). */
export async function usageTotals(
  db: Pool | PoolClient,
  input: { app: string; userId: string; from: string; to: string },
): Promise<{ counter: string; value: number }[]> {
  const { rows } = await db.query<{ counter: string; value: string }>(
    `select counter, sum(value)::bigint as value from public.usage_counters
     where app = $1 and user_id = $2 and day >= $3::date and day < $4::date group by counter order by counter`,
    [input.app, input.userId, input.from, input.to],
  );
  return rows.map((r) => ({ counter: r.counter, value: Number(r.value) }));
}
