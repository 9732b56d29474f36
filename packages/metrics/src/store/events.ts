import type { ParsedWireEvent, RequestMetadata } from '../event.ts';
import { limitedWrite, type Queryable, type WriteLimits } from './tx.ts';

export interface InsertEventsResult {
  /** Events in the call. */
  received: number;
  /** Events new to the store: their (app, id) key was claimed by this call. */
  inserted: number;
  /** Events whose key was already stored (a resend, or the same id twice in the batch). */
  duplicates: number;
}

const COLUMN_TYPES = [
  'uuid',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'timestamptz',
  'text',
  'text',
  'text',
];
const UNNEST = `unnest(${COLUMN_TYPES.map((t, i) => `$${i + 2}::${t}[]`).join(', ')}) as t(id, u, a, ac, c, nm, p, at, ip, ua, rf)`;
const INSERT_COLUMNS =
  'id, app, user_id, anonymous_id, account_id, category, name, properties, occurred_at, ip, user_agent, referrer';
const SELECT_VALUES = 'x.id, $1, x.u, x.a, x.ac, x.c, x.nm, x.p::jsonb, x.at, x.ip::inet, x.ua, x.rf';

// The batch's (app, id) keys are claimed in key order in the same statement that stores the
// events: one lock order for concurrent overlapping batches (no deadlock), and an event is stored
// only by the statement that claimed its key, so `inserted` is exact even while a drain moves the
// inbox. The key holds no timestamp: the same id resent with another occurred_at is a duplicate.
const KEYED = `with x as (select * from ${UNNEST}),
  claimed as (
    insert into public.metrics_event_ids (app, id)
    select $1, x.id from x order by x.id
    on conflict do nothing
    returning id
  )`;
const INSERT_DIRECT = `${KEYED}
  insert into public.events (${INSERT_COLUMNS})
  select ${SELECT_VALUES} from x join claimed k on k.id = x.id
  on conflict do nothing`;
const INSERT_INBOX = `${KEYED}
  insert into public.metrics_event_inbox (${INSERT_COLUMNS})
  select ${SELECT_VALUES} from x join claimed k on k.id = x.id`;

/** The first event of each id (ids compared as UUIDs), in id order. */
function uniqueById(events: readonly ParsedWireEvent[]): ParsedWireEvent[] {
  const seen = new Map<string, ParsedWireEvent>();
  for (const e of events) {
    const key = e.id.toLowerCase();
    if (!seen.has(key)) seen.set(key, e);
  }
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, e]) => e);
}

/** The batch as one array per column (one statement over unnest(), whatever the batch size). */
function eventColumns(app: string, events: readonly ParsedWireEvent[], fallback: RequestMetadata): unknown[] {
  const n = events.length;
  const cols = Array.from({ length: COLUMN_TYPES.length }, () => new Array<string | null>(n));
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    cols[0]![i] = e.id;
    cols[1]![i] = e.userId ?? null;
    cols[2]![i] = e.anonymousId ?? null;
    cols[3]![i] = e.accountId ?? null;
    cols[4]![i] = e.category;
    cols[5]![i] = e.name;
    cols[6]![i] = JSON.stringify(e.properties ?? {});
    cols[7]![i] = e.occurredAt;
    cols[8]![i] = e.context?.ip ?? fallback.ip ?? null;
    cols[9]![i] = e.context?.userAgent ?? fallback.userAgent ?? null;
    cols[10]![i] = e.context?.referrer ?? fallback.referrer ?? null;
  }
  return [app, ...cols];
}

async function writeBatch(
  sql: string,
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata,
  limits: WriteLimits,
): Promise<InsertEventsResult> {
  if (events.length === 0) return { received: 0, inserted: 0, duplicates: 0 };
  const params = eventColumns(app, uniqueById(events), fallback);
  const { rowCount } = await limitedWrite(db, limits, (client) => client.query(sql, params));
  const inserted = rowCount ?? 0;
  return { received: events.length, inserted, duplicates: events.length - inserted };
}

/**
 * Multi-row insert of a batch straight into `events` (the rollup triggers run once for the batch,
 * inside this statement). An event whose (app, id) is already stored is a duplicate and skipped.
 * `fallback` metadata fills events that carry none (e.g. the HTTP request's IP and user agent).
 * With a pool, one durable transaction (`synchronous_commit = on`) bounded by `limits`.
 */
export const insertEvents = (
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata = {},
  limits: WriteLimits = {},
): Promise<InsertEventsResult> => writeBatch(INSERT_DIRECT, db, app, events, fallback, limits);

/**
 * Stores a batch in the event inbox, from which `drainEventInbox` moves it into `events` and the
 * rollups. The same checks as `events` apply here, so a stored batch always drains. `inserted`
 * counts the events new to the store (by (app, id), whether still in the inbox or drained).
 * With a pool, one durable transaction bounded by `limits`.
 */
export const enqueueEvents = (
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata = {},
  limits: WriteLimits = {},
): Promise<InsertEventsResult> => writeBatch(INSERT_INBOX, db, app, events, fallback, limits);
