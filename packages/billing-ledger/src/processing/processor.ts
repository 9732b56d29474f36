import { connectClient } from '@org/db';
import type pg from 'pg';
import { ok, type Result } from '../errors.ts';
import { completeJobs, DEFAULT_QUEUE_SCHEMA, releaseJobs } from '../queue.ts';
import { applyStripeObjects, prepared } from '../store/apply.ts';
import { parseEvent } from '../stripe/parse.ts';
import type { StripeEventEnvelope } from '../stripe/schemas.ts';
import { type EventRegistry, mirrorObject } from './registry.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The envelope of an inbox payload. Payloads were parsed with `parseEvent` on receipt; this
 * checks the same rules again without zod's copy of `data.object` (the hot path of processing),
 * and leaves anything it does not accept to `parseEvent`, so errors read the same.
 */
export function inboxEnvelope(payload: unknown): Result<StripeEventEnvelope> {
  if (isRecord(payload)) {
    const { id, object, type, created, api_version: version, livemode, data } = payload;
    if (
      typeof id === 'string' &&
      id.startsWith('evt_') &&
      object === 'event' &&
      typeof type === 'string' &&
      type.length > 0 &&
      Number.isSafeInteger(created) &&
      (version === undefined || version === null || typeof version === 'string') &&
      (livemode === undefined || typeof livemode === 'boolean') &&
      isRecord(data) &&
      isRecord(data.object) &&
      (data.previous_attributes === undefined || isRecord(data.previous_attributes))
    )
      return ok(payload as StripeEventEnvelope);
  }
  return parseEvent(payload);
}

const applyOptionsFor = (event: StripeEventEnvelope) => ({
  observedAt: new Date(event.created * 1000),
  sourceEventId: event.id,
  deleted: event.type.endsWith('.deleted'),
});

/**
 * A fetched object as Stripe's wire JSON, which the ledger parses and stores. The SDK does not
 * return that: stripe-node 23 turns decimal strings (`unit_amount_decimal`, `amount_decimal`,
 * `flat_amount_decimal`, also inside subscription items and invoice lines) into `Decimal`
 * instances, whose JSON form is the decimal string again.
 */
const wireJson = (o: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(o));

/**
 * Re-fetching: when set, the processor asks Stripe for the object's current state instead of
 * trusting the payload (configurable; the app builds it from STRIPE_SECRET_KEY). Return null to
 * fall back to the payload (e.g. the object was deleted).
 */
export type ObjectFetcher = (object: {
  id: string;
  object: string;
}) => Promise<Record<string, unknown> | null>;

export interface ProcessOptions {
  registry: EventRegistry;
  fetchObject?: ObjectFetcher | undefined;
  /** Why a batch fell back to one-by-one processing (deadlock, invalid payload...). */
  onBatchError?: ((error: unknown) => void) | undefined;
}

/** A queue job of a batch: the event it carries and, optionally, the event's scope. */
export interface BatchJob {
  id: string;
  eventId: string;
  /** See `eventScope`: events of one scope are never in two batches running at once. */
  scope?: string | null | undefined;
  /** Retries used and allowed so far: a deferred job goes back with the retries it has left. */
  retryCount?: number | undefined;
  retryLimit?: number | undefined;
}

/** The queue job of an event processed on its own (`processEvent`). */
export interface EventJob {
  queue: string;
  id: string;
  schema?: string | undefined;
}

export interface ProcessEventOptions extends ProcessOptions {
  /**
   * The event's queue job: completed inside the event's transaction, so the effect and the
   * completion commit together, and the job row stays locked while the event is processed
   * (pg-boss's expiry cannot take it from a live worker, however slow the handlers).
   */
  job?: EventJob | undefined;
}

export interface BatchOptions extends ProcessOptions {
  /**
   * The worker's queue jobs for these events. Jobs of the events the batch processes complete in
   * its transaction (effect and completion commit together). For jobs with a scope, the batch
   * first takes a transaction lock per scope without waiting; the events of a scope that another
   * batch holds are deferred: their jobs go back to the queue (`releaseJobs`: no attempt counted)
   * instead of waiting for that batch to commit. Concurrent batches then rarely wait on each other's locks.
   */
  jobs?: { queue: string; schema?: string; list: BatchJob[] } | undefined;
}

export type ProcessOutcome =
  | { status: 'processed' | 'ignored' | 'already_done' | 'missing' | 'deferred' }
  | { status: 'error'; error: Error };

/**
 * Applies one inbox event in its own transaction: locks the inbox row, skips it if already done,
 * runs every registered handler, marks it processed (or ignored). Any throw rolls the whole event
 * back and is returned as an error outcome (the worker records it and lets the queue retry).
 * Processing transactions commit asynchronously (`synchronous_commit = off`): a crash can only
 * lose work that the queue will redo, since the inbox row was committed durably on receipt.
 */
export async function processEvent(
  pool: pg.Pool,
  eventId: string,
  options: ProcessEventOptions,
): Promise<ProcessOutcome> {
  // Guarded: a connection lost mid-transaction fails the next query instead of the process.
  const client = await connectClient(pool);
  let broken = false;
  try {
    await client.query('begin; set local synchronous_commit = off');
    const job = options.job;
    if (job) await completeJobs(client, job.queue, [job.id], { schema: job.schema ?? DEFAULT_QUEUE_SCHEMA });
    const { rows } = await prepared<{ status: string; payload: unknown }>(
      client,
      'select status, payload from public.stripe_events where id = $1 for update',
      [eventId],
    );
    const row = rows[0];
    if (!row) {
      await client.query('commit');
      return { status: 'missing' };
    }
    if (row.status === 'processed' || row.status === 'ignored') {
      await client.query('commit');
      return { status: 'already_done' };
    }
    const parsed = inboxEnvelope(row.payload);
    if (!parsed.ok) throw parsed.error;
    const event = parsed.value;
    const handlers = options.registry.handlersFor(event.type);
    if (handlers.length === 0) {
      await client.query(
        `update public.stripe_events set status = 'ignored', attempts = attempts + 1, last_error = null, processed_at = now() where id = $1`,
        [eventId],
      );
      await client.query('commit');
      return { status: 'ignored' };
    }
    let object = event.data.object;
    if (options.fetchObject && typeof object.id === 'string' && typeof object.object === 'string') {
      const fetched = await options.fetchObject({ id: object.id, object: object.object });
      if (fetched) object = wireJson(fetched);
    }
    const ctx = {
      client,
      event,
      object,
      apply: {
        observedAt: new Date(event.created * 1000),
        sourceEventId: event.id,
        deleted: event.type.endsWith('.deleted'),
      },
    };
    for (const handler of handlers) await handler(ctx);
    // Mark and commit in one round trip (no parameters allowed in a multi-statement query).
    await client.query(
      `update public.stripe_events set status = 'processed', attempts = attempts + 1, last_error = null, processed_at = now() where id = ${client.escapeLiteral(eventId)}; commit`,
    );
    return { status: 'processed' };
  } catch (error) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    return { status: 'error', error: error instanceof Error ? error : new Error(String(error)) };
  } finally {
    client.release(broken ? true : undefined);
  }
}

/**
 * The fast path: several events in one transaction. With `jobs`, it first takes the scope locks
 * (events of scopes held elsewhere are deferred) and completes or releases the jobs through
 * pg-boss in the transaction; one statement then locks the inbox rows that are not done yet,
 * marks them processed and returns their payloads; events are applied in object-id order (so concurrent batches take row locks in one
 * global order); events without handlers are then marked ignored. Returns null when anything
 * fails (the whole batch rolls back, marks and jobs included); the caller then processes the
 * events one by one with `processEvent` to isolate the failure.
 */
export async function processBatch(
  pool: pg.Pool,
  eventIds: string[],
  options: BatchOptions,
): Promise<Map<string, ProcessOutcome> | null> {
  if (options.fetchObject) return null; // re-fetching talks to Stripe per event: keep those transactions short
  const ids = [...new Set(options.jobs ? options.jobs.list.map((j) => j.eventId) : eventIds)].sort();
  // Guarded: a connection lost mid-transaction fails the next query instead of the process.
  const client = await connectClient(pool);
  let broken = false;
  try {
    await client.query('begin; set local synchronous_commit = off');
    const outcomes = new Map<string, ProcessOutcome>();
    let rows: { id: string; payload: unknown }[];
    const jobs = options.jobs;
    if (jobs?.list.length) {
      // Scope locks (no waiting), then the jobs of held events completed and the others released
      // (pg-boss's complete and insert, in this transaction), then the held events' inbox rows
      // marked and their payloads returned.
      const schema = jobs.schema ?? DEFAULT_QUEUE_SCHEMA;
      const scoped = await prepared<{ id: string; held: boolean }>(
        client,
        `with claimed as materialized (
           select x.event_id,
             x.scope is null or pg_try_advisory_xact_lock(hashtextextended('billing-ledger:scope:' || x.scope, 0)) as held
           from unnest($1::text[], $2::text[]) as x(event_id, scope)
         )
         -- An event with several jobs (a replay beside its original) is done if any of them is held.
         select event_id as id, bool_or(held) as held from claimed group by event_id order by event_id`,
        [jobs.list.map((j) => j.eventId), jobs.list.map((j) => j.scope ?? null)],
      );
      const held = new Set(scoped.rows.filter((r) => r.held).map((r) => r.id));
      await completeJobs(
        client,
        jobs.queue,
        jobs.list.filter((j) => held.has(j.eventId)).map((j) => j.id),
        { schema },
      );
      await releaseJobs(
        client,
        jobs.queue,
        jobs.list
          .filter((j) => !held.has(j.eventId))
          .map((j) => ({
            id: j.id,
            data: j.scope == null ? { eventId: j.eventId } : { eventId: j.eventId, scope: j.scope },
            retryCount: j.retryCount,
            retryLimit: j.retryLimit,
          })),
        { schema },
      );
      for (const r of scoped.rows) if (!r.held) outcomes.set(r.id, { status: 'deferred' });
      ({ rows } = await prepared<{ id: string; payload: unknown }>(
        client,
        `update public.stripe_events set status = 'processed', attempts = attempts + 1, last_error = null, processed_at = now()
         where id = any($1) and status not in ('processed', 'ignored')
         returning id, payload`,
        [[...held]],
      ));
    } else {
      ({ rows } = await prepared<{ id: string; payload: unknown }>(
        client,
        `update public.stripe_events set status = 'processed', attempts = attempts + 1, last_error = null, processed_at = now()
         where id = any($1) and status not in ('processed', 'ignored')
         returning id, payload`,
        [ids],
      ));
    }
    if (rows.length + outcomes.size < ids.length) {
      // Not marked: done already (a duplicate job, a replay) or not in the inbox at all.
      const seen = new Set([...rows.map((r) => r.id), ...outcomes.keys()]);
      const rest = ids.filter((id) => !seen.has(id));
      const present = await prepared<{ id: string }>(
        client,
        'select id from public.stripe_events where id = any($1)',
        [rest],
      );
      const found = new Set(present.rows.map((r) => r.id));
      for (const id of rest) outcomes.set(id, { status: found.has(id) ? 'already_done' : 'missing' });
    }
    // Handlers per type, looked up once per batch.
    const byType = new Map<string, ReturnType<EventRegistry['handlersFor']>>();
    const handlersFor = (type: string) => {
      const known = byType.get(type);
      if (known) return known;
      const found = options.registry.handlersFor(type);
      byType.set(type, found);
      return found;
    };
    const work: { id: string; event: StripeEventEnvelope; key: string }[] = [];
    const ignored: string[] = [];
    for (const r of rows) {
      const parsed = inboxEnvelope(r.payload);
      if (!parsed.ok) throw parsed.error;
      if (handlersFor(parsed.value.type).length === 0) {
        ignored.push(r.id);
        outcomes.set(r.id, { status: 'ignored' });
        continue;
      }
      const objectId = typeof parsed.value.data.object.id === 'string' ? parsed.value.data.object.id : '';
      work.push({ id: r.id, event: parsed.value, key: `${objectId}\u0000${r.id}` });
    }
    work.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Events handled only by the built-in mirroring go through one set-based apply; events with
    // extra handlers run their handlers one by one afterwards (so they see the mirrored rows).
    const bulk = work.filter((w) => {
      const hs = handlersFor(w.event.type);
      return hs.length === 1 && hs[0] === mirrorObject;
    });
    const individual = work.filter((w) => !bulk.includes(w));
    const applied = await applyStripeObjects(
      client,
      bulk.map((w) => ({
        object: w.event.data.object,
        options: { ...applyOptionsFor(w.event), rawInInbox: true },
      })),
    );
    applied.forEach((r, i) => {
      if (!r.ok) throw r.error;
      outcomes.set(bulk[i]!.id, { status: 'processed' });
    });
    for (const w of individual) {
      const ctx = { client, event: w.event, object: w.event.data.object, apply: applyOptionsFor(w.event) };
      for (const handler of handlersFor(w.event.type)) await handler(ctx);
      outcomes.set(w.id, { status: 'processed' });
    }
    if (ignored.length)
      await prepared(client, `update public.stripe_events set status = 'ignored' where id = any($1)`, [
        ignored,
      ]);
    await client.query('commit');
    return outcomes;
  } catch (error) {
    options.onBatchError?.(error);
    await client.query('rollback').catch(() => {
      broken = true;
    });
    return null;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/** Records a failed attempt: `failed` while retries remain, `dead` after the last one. */
export async function recordFailure(
  pool: pg.Pool,
  eventId: string,
  error: Error,
  dead: boolean,
): Promise<void> {
  await pool.query(
    `update public.stripe_events set status = $2, attempts = attempts + 1, last_error = $3
     where id = $1 and status not in ('processed', 'ignored')`,
    [eventId, dead ? 'dead' : 'failed', (error.message || error.name).slice(0, 2000)],
  );
}
