import { createHash } from 'node:crypto';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { Queryable } from './store/apply.ts';

/**
 * The project's job queue: pg-boss 10 on the application's own Postgres. Its tables live in the
 * `pgboss` schema, which the ledger's migration creates at the pinned pg-boss version together
 * with the ledger's queues (`queueSchemaSql`), so events can be received before any process
 * started the queue. The ledger uses pg-boss's public API only: jobs are sent inside the caller's
 * transaction (`send` with its `db` option), fetched, completed, failed and counted through
 * pg-boss's own calls. Other packages (wallet recharges, email outbox, scheduled jobs with cron)
 * reuse the same instance: `queue.ensureQueue(name, policy)`, `queue.sendInTransaction(...)`,
 * `queue.boss.work`, `queue.boss.schedule(name, cron)`.
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
   * A job still active this long after it was fetched, and not locked by the transaction
   * processing it, is failed and retried: its worker is taken to be dead.
   */
  expireInSeconds: number;
}

/**
 * Jobs of a killed worker come back within a minute: they expire 30 s after it fetched them, the
 * next expiry check (`expireCheckIntervalSeconds`, 10 s) fails them, and the first retry waits
 * 2-4 s (retryDelaySeconds 2 with backoff). A live worker's jobs do not expire under it: a job is
 * completed inside the transaction that processes its event (its row stays locked until that
 * commits), and jobs a worker has not started within half the expiry go back to the queue.
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

/** The pg-boss queue options of a retry policy (`ensureQueue`, and the migration's queues). */
export function queueOptions(p: RetryPolicy): PgBoss.Queue {
  return {
    name: '',
    retryLimit: p.retryLimit,
    retryDelay: p.retryDelaySeconds,
    retryBackoff: p.retryBackoff,
    expireInSeconds: p.expireInSeconds,
    retentionDays: 14,
  } as PgBoss.Queue;
}

/**
 * Starts pg-boss on the pool and ensures the Stripe event queue with this process's policy. On a
 * migrated database pg-boss finds its schema at its own version and changes nothing; in another
 * schema (`options.schema`) it installs it.
 */
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
    const p = queueOptions({ ...retry, ...policy });
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

/** A job fetched by `fetchJobs`: what the Stripe event worker needs of it. */
export interface ClaimedJob<T = unknown> {
  id: string;
  data: T;
  retryCount: number;
  retryLimit: number;
  /** How long the job may stay active before pg-boss takes its worker for dead (`expire_in`). */
  expireInSeconds: number;
}

/** What `releaseJobs` needs of a job: its data, and its attempts so far to keep the remaining retries. */
export interface ReleasedJob {
  id: string;
  data: object;
  retryCount?: number | undefined;
  retryLimit?: number | undefined;
}

const assertIdentifier = (schema: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid queue schema name ${schema}`);
};

// pg-boss calls that take a `db` option (send, insert, fetch, complete, fail) run on the caller's
// connection through one unstarted instance per schema: it needs nothing started, and starts no
// maintenance or timers of its own.
const detached = new Map<string, PgBoss>();
function detachedBoss(schema: string): PgBoss {
  assertIdentifier(schema);
  let boss = detached.get(schema);
  if (!boss) {
    boss = new PgBoss({
      db: { executeSql: async () => ({ rows: [] }) },
      schema,
    } as PgBoss.ConstructorOptions);
    boss.on('error', () => {});
    detached.set(schema, boss);
  }
  return boss;
}

// Calls without a `db` option (getQueueSize) run on an unstarted instance bound to the pool.
const bound = new WeakMap<Queryable, Map<string, PgBoss>>();
function boundBoss(db: Queryable, schema: string): PgBoss {
  assertIdentifier(schema);
  let bySchema = bound.get(db);
  if (!bySchema) {
    bySchema = new Map();
    bound.set(db, bySchema);
  }
  let boss = bySchema.get(schema);
  if (!boss) {
    boss = new PgBoss({ db: executor(db), schema } as PgBoss.ConstructorOptions);
    boss.on('error', () => {});
    bySchema.set(schema, boss);
  }
  return boss;
}

/**
 * Fetches up to `batchSize` available jobs of a queue (pg-boss `fetch`: SKIP LOCKED, state
 * `active`, a retry counted when a job is fetched again), oldest first (`priority: false`: the
 * ledger sends every job at priority 0). pg-boss 10's `fetch` answers an empty list when its query
 * fails; this throws the error instead, so a caller can tell a database away from an empty queue.
 */
export async function fetchJobs<T = unknown>(
  db: Queryable,
  name: string,
  batchSize: number,
  options: { schema?: string } = {},
): Promise<ClaimedJob<T>[]> {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`invalid batch size ${batchSize}`);
  const run = executor(db);
  let failure: unknown;
  const tracked: PgBoss.Db = {
    executeSql: (text, values) =>
      run.executeSql(text, values).catch((error: unknown) => {
        failure = error;
        throw error;
      }),
  };
  const jobs = await detachedBoss(options.schema ?? DEFAULT_QUEUE_SCHEMA).fetch<T>(name, {
    batchSize,
    includeMetadata: true,
    priority: false,
    db: tracked,
  });
  if (failure !== undefined) throw failure;
  return jobs.map((j) => ({
    id: j.id,
    data: j.data,
    retryCount: j.retryCount,
    retryLimit: j.retryLimit,
    // A numeric: pg returns it as a string.
    expireInSeconds: Number(j.expireInSeconds),
  }));
}

/**
 * Completes active jobs (pg-boss `complete`) on `db`. Inside the transaction that does the jobs'
 * work, the effect and the completion commit together, and the updated job rows stay locked until
 * then: pg-boss's expiry, which deletes and re-inserts expired active jobs, waits for that
 * transaction and then finds them completed. A worker's running transaction therefore keeps its
 * jobs however long it takes, without a heartbeat.
 */
export async function completeJobs(
  db: Queryable,
  name: string,
  ids: readonly string[],
  options: { schema?: string } = {},
): Promise<void> {
  if (ids.length === 0) return;
  await completeOn(detachedBoss(options.schema ?? DEFAULT_QUEUE_SCHEMA), name, ids, executor(db));
}

// pg-boss 10 runs `complete(name, id | ids, data, options)`; its type declarations give a list of
// ids no data argument, which would pass `{ db }` as the jobs' output and complete on the
// instance's own connection. The data (output) is left null, as the worker always did.
const completeOn = (boss: PgBoss, name: string, ids: readonly string[], db: PgBoss.Db) =>
  (
    boss.complete as unknown as (
      name: string,
      ids: string[],
      data: null,
      options: PgBoss.ConnectionOptions,
    ) => Promise<unknown>
  )(name, [...ids], null, { db });

/** Fails a job (pg-boss `fail`): retried with the queue's backoff, or failed after its last retry. */
export async function failJob(
  db: Queryable,
  name: string,
  id: string,
  error: { message: string },
  options: { schema?: string } = {},
): Promise<void> {
  await detachedBoss(options.schema ?? DEFAULT_QUEUE_SCHEMA).fail(
    name,
    id,
    { message: error.message },
    { db: executor(db) },
  );
}

/**
 * Gives active jobs back to the queue without counting an attempt, available again after
 * `delaySeconds`: each is completed and sent again with the same data (pg-boss `complete` and
 * `insert`), its retry limit lowered by the retries it already used, so the job dies after the
 * same number of failed attempts. Call inside a transaction (both commit together). The new jobs
 * have new ids and start their backoff afresh.
 */
export async function releaseJobs(
  db: Queryable,
  name: string,
  jobs: readonly ReleasedJob[],
  options: { schema?: string; delaySeconds?: number } = {},
): Promise<void> {
  if (jobs.length === 0) return;
  const boss = detachedBoss(options.schema ?? DEFAULT_QUEUE_SCHEMA);
  const run = executor(db);
  await completeOn(
    boss,
    name,
    jobs.map((j) => j.id),
    run,
  );
  const startAfter = String(options.delaySeconds ?? 0.05); // seconds, as a Postgres interval
  await boss.insert(
    jobs.map((j) => ({
      name,
      data: j.data,
      startAfter,
      ...(j.retryLimit === undefined ? {} : { retryLimit: Math.max(0, j.retryLimit - (j.retryCount ?? 0)) }),
    })),
    { db: run },
  );
}

/**
 * Jobs of a queue that workers hold right now (pg-boss state `active`), from two `getQueueSize`
 * counts: jobs not yet done minus jobs waiting. Read one after the other, so a gauge: a job that
 * moves from waiting to active between them is counted once, a job sent between them may be
 * counted as active.
 */
export async function activeJobCount(
  db: Queryable,
  name: string,
  options: { schema?: string } = {},
): Promise<number> {
  const boss = boundBoss(db, options.schema ?? DEFAULT_QUEUE_SCHEMA);
  const waiting = await boss.getQueueSize(name);
  const notDone = await boss.getQueueSize(name, { before: 'completed' });
  return Math.max(0, notDone - waiting);
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
  const id = await detachedBoss(schema).send(name, data, { ...send, db: executor(client) });
  if (!id)
    throw new Error(
      `pg-boss queue "${name}" does not exist in schema ${schema}; the ledger's migrations create it (migrate), or start the queue once (startQueue)`,
    );
  return id;
}
