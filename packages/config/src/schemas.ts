import { z } from 'zod';
import { cronSetting } from './cron.ts';

const postgresUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a URL like postgres://user:password@host:5432/database');

const port = z.coerce.number().int().min(1).max(65535);

/** The database every app and the CLI share. */
export const database = {
  DATABASE_URL: postgresUrl
    .optional()
    .describe('Postgres or Supabase connection string; unset starts the embedded server under .data/'),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('Connections per process pool'),
  ORG_DATA_DIR: z
    .string()
    .optional()
    .describe('Where the embedded server keeps its data (default <repo>/.data)'),
  EMBEDDED_PG_PORT: port
    .optional()
    .describe('Fixed port for the embedded server (default: a free loopback port)'),
};

export const stripe = {
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_, sk_live_, rk_test_ or rk_live_')
    .optional()
    .describe('Stripe API key for re-fetching objects, backfill, audit and recharges'),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[^,]+(,whsec_[^,]+)*$/, 'must be one or more whsec_... secrets separated by commas')
    .optional()
    .describe('Webhook signing secrets, comma-separated while rotating'),
  STRIPE_API_BASE: z.url().optional().describe('Stripe API base URL (tests and local Stripe servers)'),
};

export const anthropic = {
  ANTHROPIC_API_KEY: z.string().min(1).optional().describe('Enables the LLM narrative in insights'),
  ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-5-5').describe('Model for the LLM narrative'),
  ANTHROPIC_BASE_URL: z.url().optional().describe('Anthropic API base URL (tests and proxies)'),
};

export const notifications = {
  SLACK_WEBHOOK_URL: z
    .url()
    .optional()
    .describe('Slack incoming webhook for reconciliation and audit alerts'),
  EMAIL_PROVIDER: z
    .enum(['none', 'kit', 'loops'])
    .default('none')
    .describe('Email provider for lifecycle events'),
  KIT_API_KEY: z.string().min(1).optional().describe('Kit (ConvertKit) v4 API key'),
  LOOPS_API_KEY: z.string().min(1).optional().describe('Loops API key'),
  KIT_API_BASE_URL: z
    .url()
    .optional()
    .describe('Kit API base URL (default https://api.kit.com; tests and proxies)'),
  LOOPS_API_BASE_URL: z
    .url()
    .optional()
    .describe('Loops API base URL (default https://app.loops.so; tests and proxies)'),
  KIT_TAG_IDS: z
    .string()
    .regex(/^([a-z_]+=\d+)(,[a-z_]+=\d+)*$/, 'must look like at_risk=175,dormant=176')
    .optional()
    .describe('Kit tag id applied per lifecycle stage, e.g. at_risk=175,dormant=176'),
  METRICS_APP: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/)
    .default('demo')
    .describe('App name whose product events lifecycle and KPI commands read by default'),
};

export const reporting = {
  REPORTING_CURRENCY: z
    .string()
    .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd')
    .default('usd')
    .describe('Currency reports convert to'),
  // Major units, because people state goals that way ("50000" is $50,000, not $500); no default:
  // without a goal, reports and the dashboard show no goal line.
  MRR_GOAL: z
    .string()
    .trim()
    .regex(
      /^\d+(\.\d+)?$/,
      'must be an amount in major units of REPORTING_CURRENCY, such as 50000 or 1250.50',
    )
    .transform(Number)
    .refine((n) => n > 0, 'must be more than 0 (leave it unset for no goal)')
    .optional()
    .describe('MRR goal in major units of REPORTING_CURRENCY (50000 = $50,000.00); unset: no goal'),
  USAGE_PROVIDER_NAME: z
    .string()
    .min(1)
    .default('usage')
    .describe('Name of the metered usage provider (key of its usage records)'),
  USAGE_PROVIDER_URL: z
    .url()
    .optional()
    .describe('Usage provider API base URL for `reconcile usage` (GET {url}/usage?start&end&cursor)'),
  USAGE_PROVIDER_API_KEY: z.string().min(1).optional().describe('Bearer key for the usage provider API'),
  USAGE_RELIABILITY_THRESHOLD: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.95)
    .describe('Slack alert when webhook reliability of a day falls below this'),
};

export const http = {
  PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8787)
    .describe('Port the webhook app listens on (0: any free port)'),
  HOST: z.string().default('127.0.0.1').describe('Interface the webhook app binds'),
};

/** Stripe event processing (@org/billing-ledger worker) in the webhook app and `org-reports worker`. */
export const ledger = {
  LEDGER_WORKER: z
    .enum(['on', 'off'])
    .default('on')
    .describe('Run the ledger worker inside the webhook app (off: run `org-reports worker` separately)'),
  LEDGER_WORKER_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe('Parallel event fetch loops per worker process'),
  LEDGER_WORKER_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe(
      "Events claimed and processed per transaction by every ledger worker, the webhook app's and `org-reports worker`'s (default 25: short batches keep acks fast beside the intake; `--batch-size` overrides it for one CLI worker)",
    ),
  LEDGER_RETRY_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(50)
    .default(5)
    .describe('Retries of a failing Stripe event before it is dead'),
  LEDGER_RETRY_DELAY_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(2)
    .describe('Base retry delay (exponential backoff with jitter)'),
  LEDGER_REFETCH: z
    .enum(['never', 'always'])
    .default('never')
    .describe(
      'Re-fetch each event object from Stripe (needs STRIPE_SECRET_KEY) instead of trusting the payload',
    ),
  BILLING_RECONCILE_CRON: cronSetting(
    '30 2 * * *',
    "Cron (UTC) of the daily usage reconciliation of yesterday; 'off' disables",
  ),
  BILLING_WEBHOOK_RECOVERY_CRON: cronSetting(
    '17 * * * *',
    "Cron (UTC) of the missed-Stripe-webhook recovery; 'off' disables",
  ),
  BILLING_AUDIT_CRON: cronSetting(
    '0 6 * * *',
    "Cron (UTC) of the revenue audit of the current month; 'off' disables",
  ),
};

export const admin = {
  ADMIN_PASSWORD: z
    .string()
    .min(12, 'must be at least 12 characters')
    .optional()
    .describe('Admin password on the embedded default'),
  NEXT_PUBLIC_SUPABASE_URL: z.url().optional().describe('Supabase project URL (enables Supabase Auth)'),
  NEXT_PUBLIC_SUPABASE_ANON_KEY: z.string().min(1).optional().describe('Supabase anon key'),
};
