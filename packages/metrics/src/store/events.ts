import type { Pool, PoolClient } from 'pg';
import type { ParsedWireEvent, RequestMetadata } from '../event.ts';

type Queryable = Pool | PoolClient;

export interface InsertEventsResult {
  received: number;
  inserted: number;
}

const monthKey = (iso: string) => iso.slice(0, 7);

/**
 * Multi-row insert of a batch (one statement over unnest() arrays, so the rollup trigger runs once
 * per batch). Duplicates by (id, occurred_at) are absorbed. `fallback` metadata fills events that
 * carry none (e.g. the HTTP request's IP and user agent).
 */
export async function insertEvents(
  db: Queryable,
  app: string,
  events: readonly ParsedWireEvent[],
  fallback: RequestMetadata = {},
): Promise<InsertEventsResult> {
  if (events.length === 0) return { received: 0, inserted: 0 };
  const n = events.length;
  const cols = {
    id: new Array<string>(n),
    user: new Array<string | null>(n),
    anon: new Array<string | null>(n),
    account: new Array<string | null>(n),
    category: new Array<string>(n),
    name: new Array<string>(n),
    props: new Array<string>(n),
    at: new Array<string>(n),
    ip: new Array<string | null>(n),
    ua: new Array<string | null>(n),
    ref: new Array<string | null>(n),
  };
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    cols.id[i] = e.id;
    cols.user[i] = e.userId ?? null;
    cols.anon[i] = e.anonymousId ?? null;
    cols.account[i] = e.accountId ?? null;
    cols.category[i] = e.category;
    cols.name[i] = e.name;
    cols.props[i] = JSON.stringify(e.properties ?? {});
    cols.at[i] = e.occurredAt;
    cols.ip[i] = e.context?.ip ?? fallback.ip ?? null;
    cols.ua[i] = e.context?.userAgent ?? fallback.userAgent ?? null;
    cols.ref[i] = e.context?.referrer ?? fallback.referrer ?? null;
  }
  const { rowCount } = await db.query(
    `insert into public.events (id, app, user_id, anonymous_id, account_id, category, name, properties, occurred_at, ip, user_agent, referrer)
     select id, $1, u, a, ac, c, nm, p::jsonb, t, ip::inet, ua, rf
     from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[])
       as x(id, u, a, ac, c, nm, p, t, ip, ua, rf)
     on conflict do nothing`,
    [
      app,
      cols.id,
      cols.user,
      cols.anon,
      cols.account,
      cols.category,
      cols.name,
      cols.props,
      cols.at,
      cols.ip,
      cols.ua,
      cols.ref,
    ],
  );
  return { received: n, inserted: rowCount ?? 0 };
}

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
