import type { Pool } from 'pg';
import { isoOf, monthOf, monthRange, monthsBetween, parseIsoInstant } from '../calc/instant.ts';
import { DEFAULT_INGEST_WINDOW } from '../ingest/screen.ts';
import { limitedWrite, type Queryable } from './tx.ts';

const DAY = 86_400_000;

/** Months (`YYYY-MM`) that have their own partition of `events`, of those asked. */
async function existingMonths(db: Queryable, months: readonly string[]): Promise<Set<string>> {
  if (months.length === 0) return new Set();
  const { rows } = await db.query<{ m: string }>(
    `select m from unnest($1::text[]) m where to_regclass('public.events_' || replace(m, '-', '_')) is not null`,
    [months],
  );
  return new Set(rows.map((r) => r.m));
}

const isLockTimeout = (error: unknown) => {
  const code = (error as { code?: unknown })?.code;
  return code === '55P03' || code === '57014';
};

/**
 * Creates one month's partition in its own short transaction. Creating a partition locks `events`
 * exclusively (and moves the month's rows out of the default partition), so it waits at most
 * `lockTimeoutMs` for running writes and gives up ('busy') rather than queue every writer behind it.
 */
async function createMonth(
  db: Queryable,
  month: string,
  lockTimeoutMs: number,
): Promise<'created' | 'existed' | 'busy'> {
  const { start, end } = monthRange(month);
  try {
    const { rows } = await limitedWrite(db, { lockTimeoutMs, statementTimeoutMs: 60_000 }, (client) =>
      client.query<{ n: number }>(
        'select public.metrics_ensure_event_partitions($1::timestamptz, $2::timestamptz) as n',
        [isoOf(start), isoOf(end)],
      ),
    );
    return (rows[0]?.n ?? 0) > 0 ? 'created' : 'existed';
  } catch (error) {
    if (isLockTimeout(error)) return 'busy';
    throw error;
  }
}

export interface PartitionKeeperOptions {
  /** Partitions one call creates at most (default 2); events of other missing months go to the default partition until maintenance creates theirs. */
  maxCreatePerCall?: number;
  /** Longest wait for the lock on `events` when creating one (default 2,000 ms). */
  lockTimeoutMs?: number;
}

/**
 * A fallback beside `maintainEventPartitions`: makes sure the monthly partitions for a batch's
 * months exist, creating at most `maxCreatePerCall` per call (the months with most events first).
 * Events of a month without a partition are stored in the default partition and moved into the
 * month's partition when it is created. Remembers the months it has seen exist.
 */
export function createPartitionKeeper(options: PartitionKeeperOptions = {}) {
  const maxCreate = options.maxCreatePerCall ?? 2;
  const lockTimeoutMs = options.lockTimeoutMs ?? 2_000;
  const known = new Set<string>();
  return async (db: Queryable, events: readonly { occurredAt: string }[]): Promise<void> => {
    const counts = new Map<string, number>();
    for (const e of events) {
      const at = parseIsoInstant(e.occurredAt);
      const month = at === null ? null : monthOf(at);
      if (month !== null && !known.has(month)) counts.set(month, (counts.get(month) ?? 0) + 1);
    }
    if (counts.size === 0) return;
    for (const m of await existingMonths(db, [...counts.keys()])) {
      known.add(m);
      counts.delete(m);
    }
    const missing = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1));
    for (const [month] of missing.slice(0, Math.max(0, maxCreate))) {
      if ((await createMonth(db, month, lockTimeoutMs)) !== 'busy') known.add(month);
    }
  };
}

export interface MaintainPartitionsOptions {
  /** The instant to maintain for (a job passes its clock). */
  asOf: Date;
  /** Months after the as-of month to create ahead (default 3). */
  monthsAhead?: number;
  /** Days back the ingest window reaches (default 400, as the ingest's default window). */
  pastDays?: number;
  /** Longest wait for the lock on `events` per partition (default 5,000 ms). */
  lockTimeoutMs?: number;
}

export interface MaintainPartitionsResult {
  /** Months whose partition this call created. */
  created: string[];
  /** Months whose partition is still missing: the lock on `events` was busy; the next run retries. */
  skipped: string[];
}

/**
 * Creates the monthly partitions of `events` for every month the ingest window can reach, from
 * `asOf - pastDays` to `monthsAhead` months after `asOf`, so requests find them in place. Each
 * partition is its own short transaction waiting at most `lockTimeoutMs` for the lock on `events`.
 * Run it at start and periodically (apps/webhooks: hourly).
 */
export async function maintainEventPartitions(
  pool: Pool,
  options: MaintainPartitionsOptions,
): Promise<MaintainPartitionsResult> {
  const asOf = options.asOf.getTime();
  const pastDays = options.pastDays ?? DEFAULT_INGEST_WINDOW.pastDays;
  const monthsAhead = options.monthsAhead ?? 3;
  if (!Number.isFinite(asOf)) throw new RangeError('maintainEventPartitions: asOf is not a valid date');
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 24)
    throw new RangeError(
      `maintainEventPartitions: monthsAhead must be an integer in 0-24, got ${monthsAhead}`,
    );
  if (!Number.isFinite(pastDays) || pastDays < 0 || pastDays > 3660)
    throw new RangeError(`maintainEventPartitions: pastDays must be in 0-3660, got ${pastDays}`);
  const months = monthsBetween(asOf - pastDays * DAY, asOf);
  let last = months[months.length - 1];
  for (let i = 0; i < monthsAhead && last !== undefined; i++) {
    const next = monthOf(monthRange(last).end);
    if (next === null) break;
    months.push(next);
    last = next;
  }
  const existing = await existingMonths(pool, months);
  const result: MaintainPartitionsResult = { created: [], skipped: [] };
  for (const month of months) {
    if (existing.has(month)) continue;
    const outcome = await createMonth(pool, month, options.lockTimeoutMs ?? 5_000);
    if (outcome === 'created') result.created.push(month);
    else if (outcome === 'busy') result.skipped.push(month);
  }
  return result;
}
