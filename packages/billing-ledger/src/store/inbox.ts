import { randomUUID } from 'node:crypto';
import { withTransaction } from '@org/db';
import type pg from 'pg';
import { err, LedgerError, ok, type Result } from '../errors.ts';
import { activeJobCount, DEFAULT_QUEUE_SCHEMA, STRIPE_EVENTS_QUEUE, sendInTransaction } from '../queue.ts';
import type { StripeEventEnvelope } from '../stripe/schemas.ts';
import { prepared, type Queryable } from './apply.ts';

/** The Stripe event inbox: insert-once by event id, status, attempts, replay. */
export type InboxStatus = 'pending' | 'processed' | 'ignored' | 'failed' | 'dead';
export const inboxStatuses: InboxStatus[] = ['pending', 'processed', 'ignored', 'failed', 'dead'];

export interface InboxEvent {
  id: string;
  type: string;
  apiVersion: string | null;
  createdAt: Date;
  livemode: boolean;
  receivedAt: Date;
  status: InboxStatus;
  attempts: number;
  lastError: string | null;
  processedAt: Date | null;
}

export interface InboxEventWithPayload extends InboxEvent {
  payload: unknown;
}

const columns = `id, type, api_version, created_at, livemode, received_at, status, attempts, last_error, processed_at`;

function toEvent(r: Record<string, unknown>): InboxEvent {
  return {
    id: r.id as string,
    type: r.type as string,
    apiVersion: (r.api_version as string | null) ?? null,
    createdAt: r.created_at as Date,
    livemode: r.livemode as boolean,
    receivedAt: r.received_at as Date,
    status: r.status as InboxStatus,
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    processedAt: (r.processed_at as Date | null) ?? null,
  };
}

/**
 * The scope of an event for batch processing: the customer its object belongs to (the customer
 * itself for customer events), else the object's own id. A worker's batch never processes events
 * of a scope that another batch is processing (it defers them), so concurrent batches do not queue
 * up behind each other's row locks: one customer's objects are written by one batch at a time.
 */
export function eventScope(event: StripeEventEnvelope): string | null {
  const o = event.data.object;
  if (o.object === 'customer' && typeof o.id === 'string') return o.id;
  const customer = o.customer;
  if (typeof customer === 'string' && customer.length > 0) return customer;
  if (
    customer !== null &&
    typeof customer === 'object' &&
    typeof (customer as { id?: unknown }).id === 'string'
  )
    return (customer as { id: string }).id;
  return typeof o.id === 'string' && o.id.length > 0 ? o.id : null;
}

/**
 * Inserts an event (raw body kept verbatim as jsonb) and, when it is new, enqueues its processing
 * job on the same connection. Call inside a transaction so both commit together.
 */
export async function insertEvent(
  client: Queryable,
  event: StripeEventEnvelope,
  rawBody: string,
  options: { queueSchema?: string } = {},
): Promise<{ inserted: boolean }> {
  const jobId = randomUUID();
  const r = await prepared(
    client,
    `insert into public.stripe_events (id, type, api_version, created_at, livemode, payload, job_id)
     values ($1, $2, $3, to_timestamp($4), $5, $6::jsonb, $7) on conflict (id) do nothing returning id`,
    [event.id, event.type, event.api_version ?? null, event.created, event.livemode ?? false, rawBody, jobId],
  );
  if (r.rowCount === 0) return { inserted: false };
  const scope = eventScope(event);
  await sendInTransaction(
    client,
    STRIPE_EVENTS_QUEUE,
    scope === null ? { eventId: event.id } : { eventId: event.id, scope },
    { id: jobId, schema: options.queueSchema ?? DEFAULT_QUEUE_SCHEMA },
  );
  return { inserted: true };
}

/**
 * Receives one verified event: the inbox row and its pg-boss job (with the event's scope, see
 * `eventScope`) are written in one transaction (`insertEvent`: pg-boss's `send` on the
 * transaction's connection), so the job exists exactly when the event does. The transaction
 * commits durably (`synchronous_commit = on`, by `withTransaction` and by the inbox's
 * `billing_durable_commit` trigger whatever the session's default), so the 200 that follows it
 * survives a server crash. When the queue is missing, pg-boss inserts no job and the transaction
 * rolls back, writing nothing. Returns whether the event was new.
 */
export async function receiveEvent(
  pool: pg.Pool,
  event: StripeEventEnvelope,
  rawBody: string,
  options: { queueSchema?: string } = {},
): Promise<{ inserted: boolean }> {
  return withTransaction(pool, (client) => insertEvent(client, event, rawBody, options));
}

export interface ListEventsOptions {
  status?: InboxStatus;
  type?: string;
  limit?: number;
}

/** Newest first. */
export async function listEvents(pool: Queryable, options: ListEventsOptions = {}): Promise<InboxEvent[]> {
  const { rows } = await pool.query(
    `select ${columns} from public.stripe_events
     where ($1::text is null or status = $1) and ($2::text is null or type = $2)
     order by received_at desc, id desc limit $3`,
    [options.status ?? null, options.type ?? null, Math.min(Math.max(options.limit ?? 50, 1), 10_000)],
  );
  return rows.map(toEvent);
}

export async function getEvent(pool: Queryable, id: string): Promise<InboxEventWithPayload | null> {
  const { rows } = await pool.query(`select ${columns}, payload from public.stripe_events where id = $1`, [
    id,
  ]);
  const r = rows[0];
  return r ? { ...toEvent(r), payload: r.payload } : null;
}

export interface InboxStats {
  pending: number;
  processing: number;
  processed: number;
  ignored: number;
  failed: number;
  dead: number;
  total: number;
  oldestPendingAgeSeconds: number | null;
}

/**
 * Counts by status. `processing` = jobs a worker holds right now (pg-boss `active`, `activeJobCount`);
 * `oldestPendingAgeSeconds` = age of the oldest event not yet done (pending or failed), as of `asOf`.
 */
export async function inboxStats(
  pool: Queryable,
  options: { asOf?: Date; queueSchema?: string } = {},
): Promise<InboxStats> {
  const asOf = options.asOf ?? new Date();
  const { rows } = await pool.query<{ status: InboxStatus; n: number; oldest: Date | null }>(
    `select status, count(*)::int as n, min(received_at) as oldest from public.stripe_events group by status`,
  );
  const stats: InboxStats = {
    pending: 0,
    processing: 0,
    processed: 0,
    ignored: 0,
    failed: 0,
    dead: 0,
    total: 0,
    oldestPendingAgeSeconds: null,
  };
  let oldest: Date | null = null;
  for (const r of rows) {
    stats[r.status] = r.n;
    stats.total += r.n;
    if ((r.status === 'pending' || r.status === 'failed') && r.oldest && (!oldest || r.oldest < oldest))
      oldest = r.oldest;
  }
  if (oldest)
    stats.oldestPendingAgeSeconds = Math.max(0, Math.round((asOf.getTime() - oldest.getTime()) / 1000));
  try {
    stats.processing = await activeJobCount(pool, STRIPE_EVENTS_QUEUE, {
      schema: options.queueSchema ?? DEFAULT_QUEUE_SCHEMA,
    });
  } catch {
    // Queue schema not installed (another queue schema that no process started yet): nothing is processing.
  }
  return stats;
}

/**
 * Puts an event back on the queue (any status; typically dead or failed): status pending, a new
 * job, in one transaction. The ordering guard makes replaying a processed event harmless.
 */
export async function replayEvent(
  pool: pg.Pool,
  id: string,
  options: { queueSchema?: string } = {},
): Promise<Result<InboxEvent>> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query(
      `update public.stripe_events set status = 'pending', last_error = null, processed_at = null where id = $1 returning ${columns}`,
      [id],
    );
    const row = rows[0];
    if (!row) return err(new LedgerError('not_found', `No Stripe event ${id} in the inbox`));
    const jobId = await sendInTransaction(
      client,
      STRIPE_EVENTS_QUEUE,
      { eventId: id, replay: true },
      { schema: options.queueSchema ?? DEFAULT_QUEUE_SCHEMA },
    );
    await client.query('update public.stripe_events set job_id = $2 where id = $1', [id, jobId]);
    return ok(toEvent(row));
  });
}

/** Replays every dead event; returns their ids. */
export async function replayDead(
  pool: pg.Pool,
  options: { queueSchema?: string; limit?: number } = {},
): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select id from public.stripe_events where status = 'dead' order by received_at, id limit $1`,
    [options.limit ?? 10_000],
  );
  const replayed: string[] = [];
  for (const r of rows) {
    const res = await replayEvent(pool, r.id, options);
    if (res.ok) replayed.push(r.id);
  }
  return replayed;
}
