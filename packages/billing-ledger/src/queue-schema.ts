import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { BILLING_JOB_POLICY, billingJobs } from './backfill/scheduled-jobs.ts';
import {
  DEFAULT_QUEUE_SCHEMA,
  defaultRetryPolicy,
  queueOptions,
  type RetryPolicy,
  STRIPE_EVENTS_QUEUE,
} from './queue.ts';
import { WALLET_RECHARGE_POLICY } from './wallets/jobs.ts';
import { WALLET_RECHARGE_QUEUE } from './wallets/recharge.ts';

/**
 * The queue's schema as a SQL migration, built from pg-boss's public API: the construction plans
 * of the installed pg-boss (`PgBoss.getConstructionPlans`) and the statements `boss.createQueue`
 * runs for each of the ledger's queues. The checked-in migration is this text; a test fails when
 * they differ, so a pg-boss upgrade (or a new ledger queue) is a deliberate new migration.
 */

/** The migration file that creates the queue's schema (under `supabase/migrations`). */
export const QUEUE_SCHEMA_MIGRATION = '20261207250000_billing_queue_pgboss.sql';

/** The ledger's queues and the policy each is created with (processes apply their own at start). */
export const ledgerQueues: readonly { name: string; policy: RetryPolicy }[] = [
  { name: STRIPE_EVENTS_QUEUE, policy: defaultRetryPolicy },
  { name: WALLET_RECHARGE_QUEUE, policy: WALLET_RECHARGE_POLICY },
  ...Object.values(billingJobs).map((name) => ({ name, policy: BILLING_JOB_POLICY })),
];

/** The installed pg-boss's package version (the construction plans carry the schema version). */
export function pgBossVersion(): string {
  return (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;
}

const literal = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.replaceAll("'", "''")}'`;
};

/** The statements a pg-boss call runs, with their parameters written in as literals. */
async function recorded(schema: string, call: (boss: PgBoss) => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const boss = new PgBoss({
    schema,
    db: {
      executeSql: async (text: string, values: unknown[] = []) => {
        statements.push(text.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1])));
        return { rows: [] };
      },
    },
  } as PgBoss.ConstructorOptions);
  await call(boss);
  return statements;
}

const PLAN_TAG = '$pgboss_plan$';

/**
 * The SQL of the queue's migration for `schema`: pg-boss's schema at the installed version when
 * the database has none (a database where pg-boss already installed this version itself keeps
 * it; any other version stops the migration with an explanation), the ledger's queues (an
 * existing queue is kept as it is), and no access for the API roles.
 */
export async function queueSchemaSql(schema: string = DEFAULT_QUEUE_SCHEMA): Promise<string> {
  const plan = PgBoss.getConstructionPlans(schema);
  // pg-boss wraps its plan in its own transaction; a migration runs inside the runner's.
  const body = /^\s*BEGIN;\n([\s\S]*)\n\s*COMMIT;\s*$/.exec(plan)?.[1];
  const version = /INSERT INTO \S+\.version\(version\) VALUES \('(\d+)'\)/.exec(plan)?.[1];
  if (!body || !version || plan.includes(PLAN_TAG))
    throw new Error(
      `pg-boss ${pgBossVersion()} builds its schema differently from 10.4.2; review queue-schema.ts before upgrading`,
    );
  const queues: string[] = [];
  for (const q of ledgerQueues)
    queues.push(
      ...(await recorded(schema, (boss) =>
        boss.createQueue(q.name, { ...queueOptions(q.policy), name: q.name }),
      )),
    );
  return `-- The job queue's schema: pg-boss ${pgBossVersion()} (schema version ${version}) in \`${schema}\`, and the
-- billing ledger's queues, so that the webhook handler can enqueue as soon as the migrations ran,
-- before any process started the queue. Generated from pg-boss's public API
-- (PgBoss.getConstructionPlans, boss.createQueue) by queueSchemaSql in
-- packages/billing-ledger/src/queue-schema.ts; packages/billing-ledger/test/queue-schema.test.ts
-- fails when this file differs from what the installed pg-boss builds. Do not edit it: a pg-boss
-- upgrade is a new migration (pg-boss's getMigrationPlans).
do $pgboss_install$
declare
  installed integer;
begin
  if to_regclass('${schema}.version') is null then
    execute ${PLAN_TAG}
${body}
    ${PLAN_TAG};
  else
    -- pg-boss installed itself here (startQueue ran before this migration existed).
    select version into installed from ${schema}.version;
    if installed is distinct from ${version} then
      raise exception 'pg-boss schema ${schema} is at version %, this migration expects version ${version}: start pg-boss ${pgBossVersion()} on it once (it migrates its own schema), then run the migrations again', installed;
    end if;
  end if;
end
$pgboss_install$;

-- The ledger's queues, as boss.createQueue creates them (an existing queue is left as it is;
-- startQueue and the workers apply their configured policies).
${queues.map((s) => `${s.trim()};`).join('\n')}

-- Only pg-boss, connected as the owner, uses this schema: the API roles get nothing.
revoke all on schema ${schema} from public, anon, authenticated;
revoke all on all functions in schema ${schema} from public, anon, authenticated;
`;
}
