import { createHash } from 'node:crypto';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { Queryable } from './store/apply.ts';

/**
 * The project's job queue: pg-boss on the application's own Postgres (its tables live in the
 * `pgboss` schema, created on first start). Jobs are sent inside the caller's transaction through
 * `sendInTransaction`, so a job exists exactly when the row that needs it was committed.
 * Other packages (wallet recharges, email outbox, scheduled jobs with cron) reuse the same
 * instance: `queue.ensureQueue(name, policy)`, `queue.sendInTransaction(...)`, `queue.boss.work`,
 * `queue.boss.schedule(name, cron)`.
 */
export const STRIPE_EVENTS_QUEUE = 'stripe-events';
export const DEFAULT_QUEUE_SCHEMA = 'pgboss';

export interface RetryPolicy {
  /** Retries after the first attempt; the event is dead after retryLimit + 1 failed attempts. */
  retryLimit: number;
  /** Base delay in seconds; with backoff, retry n waits d*2^n/2 + random()*d*2^n/2 (pg-boss equal jitter). */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /**
   * A job still active this long after it was claimed, or after its worker last confirmed it
   * holds it (the Stripe event worker does every third of this time, `touchJobs`), is failed and
   * retried: its worker is taken to be dead.
   */
  expireInSeconds: number;
}

/**
 * Jobs of a killed worker come back within a minute: they expire 30 s after its last heartbeat,
 * the next expiry check (`expireCheckIntervalSeconds`, 10 s) fails them, and the first retry
 * waits 2-4 s (retryDelaySeconds 2 with backoff). A long batch of a live worker never expires:
 * its heartbeat keeps moving the deadline.
 */
export const defaultRetryPolicy: RetryPolicy = {
  retryLimit: 5,
  retryDelaySeconds: 2,
  retryBackoff: true,
  expireInSeconds: 30,
};

/** How often `startQueue` looks for expired jobs by default (pg-boss's maintenance runs once a minute). */
export const DEFAULT_EXPIRE_CHECK_SECONDS = 10;

export interface QueueOptions {
  schema?: string;
  /** Policy for the Stripe event queue. */
  retry?: Partial<RetryPolicy>;
  /** How often pg-boss maintenance (expiring jobs of dead workers, archiving) runs. Default 60 s. */
  maintenanceIntervalSeconds?: number;
  /**
   * How often this process fails expired jobs (pg-boss's `expire`, under its advisory lock, so
   * several processes do not collide), between maintenance runs. Default 10 s; 0 turns it off.
   */
  expireCheckIntervalSeconds?: number;
  /** Run cron schedules in this process. Default false. */
  schedule?: boolean;
}

export interface LedgerQueue {
  boss: PgBoss;
  schema: string;
  retry: RetryPolicy;
  /** How often this process fails expired jobs (0: only at maintenance). */
  expireCheckIntervalSeconds: number;
  /** Creates the queue if needed and applies its retry policy. */
  ensureQueue(name: string, policy?: Partial<RetryPolicy>): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

const statementNames = new Map<string, string>();
/** A stable prepared-statement name per SQL text (pg-boss's statements are fixed strings). */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `pgb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * pg-boss's Db adapter over a pg client or pool. Parameterised statements run as named prepared
 * statements, so their (non-trivial) plans are built once per connection instead of per job.
 */
export function executor(db: Queryable): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) =>
      (values && values.length > 0
        ? db.query({ name: statementName(text), text, values })
        : db.query(text)) as Promise<{ rows: unknown[] }>,
  } as PgBoss.Db;
}

function policyOptions(p: RetryPolicy): PgBoss.Queue {
  return {
    name: '',
    retryLimit: p.retryLimit,
    retryDelay: p.retryDelaySeconds,
    retryBackoff: p.retryBackoff,
    expireInSeconds: p.expireInSeconds,
    retentionDays: 14,
  } as PgBoss.Queue;
}

/** Starts pg-boss on the pool (installing or upgrading its schema) and ensures the Stripe event queue. */
export async function startQueue(pool: pg.Pool, options: QueueOptions = {}): Promise<LedgerQueue> {
  const schema = options.schema ?? DEFAULT_QUEUE_SCHEMA;
  const retry = { ...defaultRetryPolicy, ...options.retry };
  const boss = new PgBoss({
    db: executor(pool),
    schema,
    supervise: true,
    schedule: options.schedule ?? false,
    migrate: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
    monitorStateIntervalSeconds: 60,
  } as PgBoss.ConstructorOptions);
  boss.on('error', () => {});
  await boss.start();
  const expireCheck = options.expireCheckIntervalSeconds ?? DEFAULT_EXPIRE_CHECK_SECONDS;
  let expiring = false;
  const expireTimer =
    expireCheck > 0
      ? setInterval(() => {
          if (expiring) return;
          expiring = true;
          boss
            .expire()
            .catch(() => {}) // database away: the next tick tries again
            .finally(() => {
              expiring = false;
            });
        }, expireCheck * 1000)
      : undefined;
  expireTimer?.unref();
  const ensureQueue = async (name: string, policy: Partial<RetryPolicy> = {}) => {
    const p = policyOptions({ ...retry, ...policy });
    const existing = await boss.getQueue(name);
    if (existing) await boss.updateQueue(name, { ...p, name });
    else await boss.createQueue(name, { ...p, name });
  };
  await ensureQueue(STRIPE_EVENTS_QUEUE);
  return {
    boss,
    schema,
    retry,
    expireCheckIntervalSeconds: expireCheck,
    ensureQueue,
    async stop(o = {}) {
      if (expireTimer) clearInterval(expireTimer);
      await boss.stop({
        graceful: o.graceful ?? true,
        timeout: o.timeoutMs ?? 10_000,
        wait: true,
        close: false,
      });
    },
  };
}

/** A job claimed by `claimJobs`: what the Stripe event worker needs of pg-boss's job row. */
export interface ClaimedJob<T = unknown> {
  id: string;
  data: T;
  retryCount: number;
  retryLimit: number;
}

const assertIdentifier = (schema: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid queue schema name ${schema}`);
};

/**
 * Claims up to `batchSize` available jobs of a standard-policy queue, with the effect of pg-boss
 * 10's `fetch` (state `active`, `started_on`, `retry_count` + 1 when a job is fetched again) but
 * taken in `start_after` order along pg-boss's own fetch index (`job_i5`: name, start_after, for
 * jobs not yet active). pg-boss's `fetch` orders by priority and creation time, which that index
 * does not cover: every fetch then sorts all queued jobs (tens of milliseconds once thousands are
 * waiting). Here a claim reads only the rows it takes, however deep the queue. Jobs that became
 * available earlier are taken first: a retry waits behind jobs queued before its backoff ended.
 * Singleton and stately policies are not handled (the Stripe event queue uses neither).
 *
 * The plan is pinned (no sequential or bitmap scan, no sort) for the statement: a queue that
 * filled up since its table was last analyzed looks nearly empty to the planner, which would then
 * sort every waiting job again. Call it on a pool or on a client outside a transaction: the
 * settings and the claim run as one implicit transaction, in one round trip.
 */
export async function claimJobs<T = unknown>(
  db: Queryable,
  name: string,
  batchSize: number,
  options: { schema?: string } = {},
): Promise<ClaimedJob<T>[]> {
  const schema = options.schema ?? DEFAULT_QUEUE_SCHEMA;
  assertIdentifier(schema);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`invalid batch size ${batchSize}`);
  const queue = `'${name.replaceAll("'", "''")}'`;
  const results = (await db.query(
    `set local enable_seqscan = off; set local enable_bitmapscan = off; set local enable_sort = off;
    with next as (
      select id from ${schema}.job
      where name = ${queue} and state < 'active' and start_after < now()
      order by start_after
      limit ${batchSize}
      for update skip locked
    )
    update ${schema}.job j set state = 'active', started_on = now(),
      retry_count = case when j.started_on is not null then j.retry_count + 1 else j.retry_count end
    from next where j.name = ${queue} and j.id = next.id
    returning j.id, j.data, j.retry_count as "retryCount", j.retry_limit as "retryLimit"`,
  )) as unknown as pg.QueryResult<ClaimedJob<T>>[];
  return results[results.length - 1]!.rows;
}

/**
 * The heartbeat of a worker: moves the expiry deadline of the jobs it still holds (active, by id)
 * to `expireInSeconds` from now, so a batch that runs long is not mistaken for the work of a dead
 * worker. Jobs locked by the worker's own open batch transaction are skipped (that transaction
 * completes or releases them). Returns how many it touched.
 */
export async function touchJobs(
  db: Queryable,
  name: string,
  ids: readonly string[],
  options: { schema?: string } = {},
): Promise<number> {
  const schema = options.schema ?? DEFAULT_QUEUE_SCHEMA;
  assertIdentifier(schema);
  if (ids.length === 0) return 0;
  const r = await db.query(
    `update ${schema}.job j set started_on = now()
     from (select id from ${schema}.job where name = $1 and id = any($2::uuid[]) and state = 'active' for update skip locked) held
     where j.name = $1 and j.id = held.id`,
    [name, ids],
  );
  return r.rowCount ?? 0;
}

/**
 * SQL that completes active jobs of a queue (pg-boss's `complete` without output), for use inside
 * the transaction that did the jobs' work: the effect and the completion commit together.
 * `params` names the parameters holding the queue name and the job ids (uuid[]).
 */
export function completeJobsSql(
  schema: string = DEFAULT_QUEUE_SCHEMA,
  params: { name: string; ids: string } = { name: '$1', ids: '$2' },
): string {
  assertIdentifier(schema);
  return `update ${schema}.job set completed_on = now(), state = 'completed'
    where name = ${params.name} and id = any(${params.ids}::uuid[]) and state = 'active'`;
}

/**
 * SQL that puts active jobs of a queue back as if never fetched (state `created`, no start time,
 * so claiming them again counts no retry), available again after `delay`. For work a worker
 * claimed but chose not to do now (see processBatch's scopes). Parameters as `completeJobsSql`.
 */
export function releaseJobsSql(
  schema: string = DEFAULT_QUEUE_SCHEMA,
  params: { name: string; ids: string } = { name: '$1', ids: '$2' },
  delay = "interval '50 milliseconds'",
): string {
  assertIdentifier(schema);
  return `update ${schema}.job set state = 'created', started_on = null, start_after = now() + ${delay}
    where name = ${params.name} and id = any(${params.ids}::uuid[]) and state = 'active'`;
}

// One unstarted instance per schema is enough to build job inserts: `send` with a `db` option runs
// pg-boss's own insert on the caller's connection and needs nothing started.
const senders = new Map<string, PgBoss>();
function sender(schema: string): PgBoss {
  let boss = senders.get(schema);
  if (!boss) {
    boss = new PgBoss({
      db: { executeSql: async () => ({ rows: [] }) },
      schema,
    } as PgBoss.ConstructorOptions);
    boss.on('error', () => {});
    senders.set(schema, boss);
  }
  return boss;
}

/**
 * Sends a job on `client` (typically inside the caller's open transaction): the job commits or
 * rolls back with it. Throws when the queue does not exist (pg-boss inserts nothing then).
 */
export async function sendInTransaction(
  client: Queryable,
  name: string,
  data: object,
  options: PgBoss.SendOptions & { schema?: string } = {},
): Promise<string> {
  const { schema = DEFAULT_QUEUE_SCHEMA, ...send } = options;
  const id = await sender(schema).send(name, data, { ...send, db: executor(client) });
  if (!id)
    throw new Error(
      `pg-boss queue "${name}" does not exist in schema ${schema}; start the queue (startQueue) once to create it`,
    );
  return id;
}
