import type { Pool, PoolClient } from 'pg';
import type { ParsedWireEvent, RequestMetadata } from '../event.ts';

type Queryable = Pool | PoolClient;

export interface InsertEventsResult {
  received: number;
  inserted: number;
}

const monthKey = (iso: string) => iso.slice(0, 7);

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
const UNNEST = `unnest(${COLUMN_TYPES.map((t, i) => `$${i + 2}::${t}[]`).join(', ')}) as x(id, u, a, ac, c, nm, p, t, ip, ua, rf)`;
const INSERT_COLUMNS =
  'id, app, user_id, anonymous_id, account_id, category, name, properties, occurred_at, ip, user_agent, referrer';
const SELECT_VALUES = 'x.id, $1, x.u, x.a, x.ac, x.c, x.nm, x.p::jsonb, x.t, x.ip::inet, x.ua, x.rf';

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

const INSERT_DIRECT = `insert into public.events (${INSERT_COLUMNS})
  select ${SELECT_VALUES} from ${UNNEST}
  on conflict do nothing`;
const INSERT_INBOX = `insert into public.metrics_event_inbox (${INSERT_COLUMNS})
  select ${SELECT_VALUES} from ${UNNEST}
  where not exists (select 1 from public.events e where e.id = x.id and e.occurred_at = x.t)
  on conflict do nothing`;

async function writeBatch(
  sql: string,
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata,
): Promise<InsertEventsResult> {
  if (events.length === 0) return { received: 0, inserted: 0 };
  const { rowCount } = await db.query(sql, eventColumns(app, events, fallback));
  return { received: events.length, inserted: rowCount ?? 0 };
}

/**
 * Multi-row insert of a batch straight into `events` (the rollup triggers run once for the batch,
 * inside this statement). Duplicates by (id, occurred_at) are absorbed. `fallback` metadata fills
 * events that carry none (e.g. the HTTP request's IP and user agent).
 */
export const insertEvents = (
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata = {},
): Promise<InsertEventsResult> => writeBatch(INSERT_DIRECT, db, app, events, fallback);

/**
 * Stores a batch in the event inbox, from which `drainEventInbox` moves it into `events` and the
 * rollups. The same checks as `events` apply here, so a stored batch always drains. `inserted`
 * counts the events new to the store (neither in the inbox nor already in `events`).
 */
export const enqueueEvents = (
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata = {},
): Promise<InsertEventsResult> => writeBatch(INSERT_INBOX, db, app, events, fallback);

/**
 * Makes sure the monthly partitions for the batch's months exist (events of other months would
 * land in the default partition). Remembers what it ensured, so it queries once per month.
 */
export function createPartitionKeeper() {
  const ensured = new Set<string>();
  return async (db: Queryable, events: readonly { occurredAt: string }[]): Promise<void> => {
    const missing = new Set<string>();
    for (const e of events) {
      const m = monthKey(new Date(e.occurredAt).toISOString());
      if (!ensured.has(m)) missing.add(m);
    }
    for (const m of missing) {
      const from = new Date(`${m}-01T00:00:00Z`);
      const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
      await db.query('select public.metrics_ensure_event_partitions($1, $2)', [from, to]);
      ensured.add(m);
    }
  };
}
