import type { Pool } from 'pg';
import type { EmailProvider } from './providers/provider.ts';

export interface DeliverOptions {
  provider: EmailProvider;
  /** The delivery instant (rows due at or before it are sent). */
  now: Date;
  limit?: number;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 6 hours (default 60 s). */
  backoffBaseMs?: number;
  /** Requests per second to the provider (default 5). */
  ratePerSecond?: number;
}

export interface DeliverResult {
  sent: number;
  retried: number;
  dead: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends due outbox rows of one provider. Rows are claimed with SKIP LOCKED and a 5-minute lease
 * (so parallel workers never send the same row), paced to `ratePerSecond`; a retryable failure is
 * rescheduled with exponential backoff (or the provider's Retry-After), the last attempt or a
 * permanent failure parks the row as `dead`.
 */
export async function deliverOutbox(pool: Pool, options: DeliverOptions): Promise<DeliverResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const base = options.backoffBaseMs ?? 60_000;
  const spacing = 1000 / (options.ratePerSecond ?? 5);
  const { rows } = await pool.query<{
    id: number;
    idempotency_key: string;
    event_name: string;
    email: string | null;
    subject_id: string;
    payload: Record<string, unknown>;
    attempts: number;
  }>(
    `update public.email_outbox set attempts = attempts + 1, next_attempt_at = $1::timestamptz + interval '5 minutes'
     where id in (
       select id from public.email_outbox where status = 'pending' and provider = $2 and next_attempt_at <= $1
       order by next_attempt_at, id limit $3 for update skip locked
     )
     returning id, idempotency_key, event_name, email, subject_id, payload, attempts`,
    [options.now, options.provider.name, options.limit ?? 100],
  );
  const result: DeliverResult = { sent: 0, retried: 0, dead: 0 };
  let last = 0;
  for (const row of rows.sort((a, b) => a.id - b.id)) {
    const wait = last + spacing - performance.now();
    if (last > 0 && wait > 0) await sleep(wait);
    last = performance.now();
    const r = await options.provider.deliver({
      idempotencyKey: row.idempotency_key,
      eventName: row.event_name,
      email: row.email,
      subjectId: row.subject_id,
      payload: row.payload,
    });
    if (r.ok) {
      await pool.query(
        `update public.email_outbox set status = 'sent', sent_at = $2, last_error = null where id = $1`,
        [row.id, options.now],
      );
      result.sent++;
    } else if (r.retryable && row.attempts < maxAttempts) {
      const delay = r.retryAfterMs ?? Math.min(6 * 3_600_000, base * 2 ** (row.attempts - 1));
      await pool.query(`update public.email_outbox set next_attempt_at = $2, last_error = $3 where id = $1`, [
        row.id,
        new Date(options.now.getTime() + delay),
        r.error,
      ]);
      result.retried++;
    } else {
      await pool.query(`update public.email_outbox set status = 'dead', last_error = $2 where id = $1`, [
        row.id,
        r.error,
      ]);
      result.dead++;
    }
  }
  return result;
}

export async function outboxStatus(
  pool: Pool,
): Promise<{ provider: string; status: string; count: number }[]> {
  const { rows } = await pool.query<{ provider: string; status: string; count: number }>(
    'select provider, status, count(*)::int as count from public.email_outbox group by provider, status order by provider, status',
  );
  return rows;
}
