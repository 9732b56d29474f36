import {
  type BillingJob,
  type BillingJobDeps,
  type BillingSchedules,
  createStripeApi,
  createStripeClient,
  defaultEventRegistry,
  defaultRateFor,
  type EventRegistry,
  httpUsageSource,
  type LedgerQueue,
  registerWalletHandlers,
  type StripeApi,
  scheduleBillingJobs,
  slackNotifier,
  startBillingJobWorkers,
  startQueue,
  startWorker,
  stripeObjectFetcher,
  type Worker,
  type WorkerOptions,
} from '@org/billing-ledger';
import type { Pool } from '@org/db';
import type Stripe from 'stripe';

/**
 * The settings the ledger's runtime reads: the env variables of the same names, as the apps'
 * `@org/config` schemas parse them. Both apps pass their validated env; nothing here reads
 * `process.env`, and the packages below receive adapters and plain options only.
 */
export interface LedgerSettings {
  STRIPE_SECRET_KEY?: string | undefined;
  STRIPE_API_BASE?: string | undefined;
  LEDGER_WORKER_CONCURRENCY: number;
  LEDGER_WORKER_BATCH_SIZE?: number | undefined;
  LEDGER_RETRY_LIMIT: number;
  LEDGER_RETRY_DELAY_SECONDS: number;
  LEDGER_REFETCH: 'never' | 'always';
  USAGE_PROVIDER_NAME: string;
  USAGE_PROVIDER_URL?: string | undefined;
  USAGE_PROVIDER_API_KEY?: string | undefined;
  USAGE_RELIABILITY_THRESHOLD?: number | undefined;
  SLACK_WEBHOOK_URL?: string | undefined;
  BILLING_RECONCILE_CRON: string;
  BILLING_WEBHOOK_RECOVERY_CRON: string;
  BILLING_AUDIT_CRON: string;
}

/**
 * Events per processing transaction when LEDGER_WORKER_BATCH_SIZE is unset. Short transactions
 * keep acknowledgements fast beside the intake: ack p99 at 200 req/s measured 18 ms with 25 events
 * per batch against 53 ms with 100 (packages/billing-ledger/bench/index.ts).
 */
export const DEFAULT_WORKER_BATCH_SIZE = 25;

// The webhook handler only verifies signatures offline; the SDK still wants a key to exist.
const VERIFY_ONLY_KEY = 'sk_test_webhook_verification_only';

/** The one Stripe SDK client of a process: STRIPE_SECRET_KEY, pointed at STRIPE_API_BASE when set. */
export function stripeClient(
  settings: Pick<LedgerSettings, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>,
): Stripe {
  return createStripeClient(settings.STRIPE_SECRET_KEY ?? VERIFY_ONLY_KEY, settings.STRIPE_API_BASE);
}

/** The rate-limited, retrying Stripe API adapter, or null without STRIPE_SECRET_KEY. */
export function stripeApi(
  settings: Pick<LedgerSettings, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>,
  client: Stripe = stripeClient(settings),
): StripeApi | null {
  const key = settings.STRIPE_SECRET_KEY;
  return key ? createStripeApi(client, { perSecond: defaultRateFor(key) }) : null;
}

/** Worker options from the settings, shared by every process that processes Stripe events. */
export function workerOptions(
  settings: LedgerSettings,
  client: Stripe,
): Pick<WorkerOptions, 'concurrency' | 'batchSize' | 'fetchObject'> {
  return {
    concurrency: settings.LEDGER_WORKER_CONCURRENCY,
    batchSize: settings.LEDGER_WORKER_BATCH_SIZE ?? DEFAULT_WORKER_BATCH_SIZE,
    ...(settings.LEDGER_REFETCH === 'always' && settings.STRIPE_SECRET_KEY
      ? { fetchObject: stripeObjectFetcher(client) }
      : {}),
  };
}

/** The cron schedules of the billing jobs ('off' turns one off). */
export function billingSchedules(settings: LedgerSettings): Required<BillingSchedules> {
  const cron = (value: string) => (value.trim().toLowerCase() === 'off' ? null : value);
  return {
    reconcileUsage: cron(settings.BILLING_RECONCILE_CRON),
    recoverWebhooks: cron(settings.BILLING_WEBHOOK_RECOVERY_CRON),
    revenueAudit: cron(settings.BILLING_AUDIT_CRON),
  };
}

/** The adapters the scheduled billing jobs use: Stripe API, usage provider, Slack. */
export function billingJobDeps(
  pool: Pool,
  settings: LedgerSettings,
  client: Stripe,
  onResult?: BillingJobDeps['onResult'],
): BillingJobDeps {
  return {
    pool,
    stripe: stripeApi(settings, client),
    usageSource: settings.USAGE_PROVIDER_URL
      ? httpUsageSource({
          provider: settings.USAGE_PROVIDER_NAME,
          baseUrl: settings.USAGE_PROVIDER_URL,
          ...(settings.USAGE_PROVIDER_API_KEY ? { apiKey: settings.USAGE_PROVIDER_API_KEY } : {}),
        })
      : null,
    notifier: settings.SLACK_WEBHOOK_URL ? slackNotifier(settings.SLACK_WEBHOOK_URL) : null,
    ...(settings.USAGE_RELIABILITY_THRESHOLD !== undefined
      ? { reliabilityThreshold: settings.USAGE_RELIABILITY_THRESHOLD }
      : {}),
    ...(onResult ? { onResult } : {}),
  };
}

export interface LedgerRuntime {
  stripe: Stripe;
  queue: LedgerQueue;
  /** null when the process runs no worker. */
  worker: Worker | null;
  /** The billing jobs' schedules in effect; null when the process runs no worker. */
  schedules: Record<BillingJob, string | null> | null;
  stop(): Promise<void>;
}

export interface LedgerRuntimeOptions {
  /** Process Stripe events here (and run the scheduled billing jobs when `schedule`). */
  worker: boolean;
  /** Run the billing jobs' cron clock and work their queues (a long-running worker process). */
  schedule: boolean;
  /** Overrides of the settings for this process (e.g. the CLI's flags). */
  overrides?: Partial<
    Pick<LedgerSettings, 'LEDGER_WORKER_CONCURRENCY' | 'LEDGER_WORKER_BATCH_SIZE' | 'LEDGER_RETRY_LIMIT'>
  >;
  /** Handlers of the Stripe event types (default: the ledger's, plus wallet top-ups). */
  registry?: EventRegistry;
  onEventError?: WorkerOptions['onError'];
  onJobResult?: BillingJobDeps['onResult'];
}

/**
 * The ledger's runtime as the webhook app and `org-reports worker` both run it: the queue, a worker
 * over it and the scheduled billing jobs, with one Stripe client, from the same settings.
 */
export async function startLedgerRuntime(
  pool: Pool,
  base: LedgerSettings,
  options: LedgerRuntimeOptions,
): Promise<LedgerRuntime> {
  const settings: LedgerSettings = { ...base, ...options.overrides };
  const stripe = stripeClient(settings);
  const schedule = options.worker && options.schedule;
  const queue = await startQueue(pool, {
    retry: {
      retryLimit: settings.LEDGER_RETRY_LIMIT,
      retryDelaySeconds: settings.LEDGER_RETRY_DELAY_SECONDS,
    },
    schedule,
  });
  const worker = options.worker
    ? startWorker({
        pool,
        queue,
        // Wallet top-ups (checkout sessions / payment intents marked in metadata) credit wallets.
        registry: options.registry ?? registerWalletHandlers(defaultEventRegistry()),
        ...workerOptions(settings, stripe),
        ...(options.onEventError ? { onError: options.onEventError } : {}),
      })
    : null;
  let schedules: LedgerRuntime['schedules'] = null;
  let jobWorkers: { stop(): Promise<void> } | null = null;
  if (schedule) {
    schedules = await scheduleBillingJobs(queue, billingSchedules(settings));
    jobWorkers = await startBillingJobWorkers(
      queue,
      billingJobDeps(pool, settings, stripe, options.onJobResult),
    );
  }
  return {
    stripe,
    queue,
    worker,
    schedules,
    async stop() {
      await worker?.stop();
      await jobWorkers?.stop();
      await queue.stop();
    },
  };
}
