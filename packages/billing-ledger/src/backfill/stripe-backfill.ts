import { withTransaction } from '@org/db';
import type pg from 'pg';
import type Stripe from 'stripe';
import { type LedgerError, ledgerError } from '../errors.ts';
import { applyStripeObject } from '../store/apply.ts';
import { parseStripeObject } from '../stripe/parse.ts';
import type { Page, StripeApi, StripeCallError } from '../stripe-api/client.ts';

/**
 * Stripe backfill: lists customers, products, prices, subscriptions (every status), and the
 * invoices, payment intents, charges and refunds created in the last `days` days, and upserts each
 * object through `applyStripeObject`, the function webhook processing uses (one mapping). A page's
 * writes and its cursor commit together, so a killed run resumes (`resume: true`) from its last
 * committed page with the same `asOf`, and ends in the same state as an uninterrupted run.
 * Rate limiting and 429 backoff come from the `StripeApi` adapter. `dryRun` lists and validates
 * everything and writes nothing.
 */
export const backfillResources = [
  'customers',
  'products',
  'prices',
  'subscriptions',
  'invoices',
  'payment_intents',
  'charges',
  'refunds',
] as const;
export type BackfillResource = (typeof backfillResources)[number];

const windowed = new Set<BackfillResource>(['invoices', 'payment_intents', 'charges', 'refunds']);
const tableOf: Record<BackfillResource, string> = {
  customers: 'stripe_customers',
  products: 'stripe_products',
  prices: 'stripe_prices',
  subscriptions: 'stripe_subscriptions',
  invoices: 'stripe_invoices',
  payment_intents: 'stripe_payment_intents',
  charges: 'stripe_charges',
  refunds: 'stripe_refunds',
};

type Lister = (
  s: Stripe,
  params: { limit: number; starting_after?: string; created?: { gte: number; lt: number } },
) => Promise<Page<{ id: string }>>;
const listers: Record<BackfillResource, Lister> = {
  customers: (s, p) => s.customers.list(p),
  products: (s, p) => s.products.list(p),
  prices: (s, p) => s.prices.list(p),
  subscriptions: (s, p) => s.subscriptions.list({ ...p, status: 'all' }),
  invoices: (s, p) => s.invoices.list(p),
  payment_intents: (s, p) => s.paymentIntents.list(p),
  charges: (s, p) => s.charges.list(p),
  refunds: (s, p) => s.refunds.list(p),
};

export interface ResourceSummary {
  resource: BackfillResource;
  listed: number;
  inserted: number;
  updated: number;
  skipped: number;
  errors: number;
}

export interface BackfillSummary {
  runId: number | null;
  dryRun: boolean;
  resumed: boolean;
  asOf: string;
  days: number;
  resources: ResourceSummary[];
  totals: Omit<ResourceSummary, 'resource'>;
  /** The first few per-object errors (id and message). */
  errorSamples: { resource: BackfillResource; id: string; message: string }[];
  stripe: { requests: number; retries: number; rateLimited: number };
}

export interface BackfillOptions {
  days: number;
  /** The observation instant: the created window ends here, and writes are ordered at it. */
  asOf: Date;
  dryRun?: boolean;
  /** Continue the latest unfinished run (its asOf and cursors) instead of starting a new one. */
  resume?: boolean;
  pageSize?: number;
  resources?: readonly BackfillResource[];
  onProgress?: (event: { resource: BackfillResource; listed: number; hasMore: boolean }) => void;
}

export type BackfillError =
  | LedgerError<'invalid_input' | 'not_found'>
  | (LedgerError<'stripe_error'> & { runId: number | null; stripe: StripeCallError });

export async function backfillStripe(
  pool: pg.Pool,
  api: StripeApi,
  options: BackfillOptions,
): Promise<{ ok: true; value: BackfillSummary } | { ok: false; error: BackfillError }> {
  if (!Number.isInteger(options.days) || options.days <= 0)
    return { ok: false, error: ledgerError('invalid_input', '--days must be a positive integer') };
  const dryRun = options.dryRun ?? false;
  const resources = options.resources ?? backfillResources;
  let runId: number | null = null;
  let asOf = options.asOf;
  let days = options.days;
  const cursors = new Map<
    BackfillResource,
    { cursor: string | null; done: boolean; counts: Omit<ResourceSummary, 'resource' | 'listed'> }
  >();
  let resumed = false;

  if (!dryRun && options.resume) {
    const { rows } = await pool.query<{ id: string; as_of: Date; days: number }>(
      `select id, as_of, days from public.stripe_backfill_runs where status <> 'completed' order by id desc limit 1`,
    );
    const run = rows[0];
    if (run) {
      runId = Number(run.id);
      asOf = run.as_of;
      days = run.days;
      resumed = true;
      const c = await pool.query<{
        resource: BackfillResource;
        cursor: string | null;
        done: boolean;
        inserted: number;
        updated: number;
        skipped: number;
        errors: number;
      }>('select * from public.stripe_backfill_cursors where run_id = $1', [runId]);
      for (const r of c.rows)
        cursors.set(r.resource, {
          cursor: r.cursor,
          done: r.done,
          counts: { inserted: r.inserted, updated: r.updated, skipped: r.skipped, errors: r.errors },
        });
      await pool.query(
        `update public.stripe_backfill_runs set status = 'running', last_error = null where id = $1`,
        [runId],
      );
    }
  }
  if (!dryRun && runId === null) {
    const { rows } = await pool.query<{ id: string }>(
      'insert into public.stripe_backfill_runs (as_of, days) values ($1, $2) returning id',
      [asOf, days],
    );
    runId = Number(rows[0]!.id);
    await pool.query(
      `insert into public.stripe_backfill_cursors (run_id, resource) select $1, unnest($2::text[])`,
      [runId, [...resources]],
    );
  }

  const created = {
    gte: Math.floor(asOf.getTime() / 1000) - days * 86_400,
    lt: Math.floor(asOf.getTime() / 1000),
  };
  const summaries: ResourceSummary[] = [];
  const errorSamples: BackfillSummary['errorSamples'] = [];
  for (const resource of resources) {
    const state = cursors.get(resource) ?? {
      cursor: null,
      done: false,
      counts: { inserted: 0, updated: 0, skipped: 0, errors: 0 },
    };
    const s: ResourceSummary = { resource, listed: 0, ...state.counts };
    summaries.push(s);
    if (state.done) continue;
    let cursor = state.cursor;
    for (;;) {
      const params = {
        limit: options.pageSize ?? 100,
        ...(cursor ? { starting_after: cursor } : {}),
        ...(windowed.has(resource) ? { created } : {}),
      };
      const page = await api.call((stripe) => listers[resource](stripe, params));
      if (!page.ok) {
        if (runId !== null)
          await pool.query(
            `update public.stripe_backfill_runs set status = 'failed', last_error = $2 where id = $1`,
            [runId, page.error.message],
          );
        return {
          ok: false,
          error: ledgerError('stripe_error', `listing ${resource}: ${page.error.message}`, {
            runId,
            stripe: page.error,
          }),
        };
      }
      // Back to wire JSON: the SDK turns decimal strings (unit_amount_decimal) into Decimal objects.
      const items = JSON.parse(JSON.stringify(page.value.data)) as Record<string, unknown>[];
      const last = items.at(-1);
      const next = last ? String(last.id) : cursor;
      const done = !page.value.has_more || items.length === 0;
      s.listed += items.length;
      if (dryRun) {
        const ids = items.map((o) => String(o.id));
        const { rows } = await pool.query<{ id: string }>(
          `select id from public.${tableOf[resource]} where id = any($1::text[])`,
          [ids],
        );
        const existing = new Set(rows.map((r) => r.id));
        for (const o of items) {
          const parsed = parseStripeObject(o);
          if (!parsed.ok) {
            s.errors++;
            if (errorSamples.length < 20)
              errorSamples.push({ resource, id: String(o.id), message: parsed.error.message });
          } else if (existing.has(String(o.id))) s.updated++;
          else s.inserted++;
        }
      } else {
        await applyPage(pool, runId!, resource, items, asOf, next, done, s, errorSamples);
      }
      options.onProgress?.({ resource, listed: s.listed, hasMore: !done });
      cursor = next;
      if (done) break;
    }
  }
  if (runId !== null)
    await pool.query(
      `update public.stripe_backfill_runs set status = 'completed', finished_at = now() where id = $1`,
      [runId],
    );
  const totals = { listed: 0, inserted: 0, updated: 0, skipped: 0, errors: 0 };
  for (const r of summaries)
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
  return {
    ok: true,
    value: {
      runId,
      dryRun,
      resumed,
      asOf: asOf.toISOString(),
      days,
      resources: summaries,
      totals,
      errorSamples,
      stripe: { ...api.stats },
    },
  };
}

async function applyPage(
  pool: pg.Pool,
  runId: number,
  resource: BackfillResource,
  items: Record<string, unknown>[],
  asOf: Date,
  cursor: string | null,
  done: boolean,
  s: ResourceSummary,
  errorSamples: BackfillSummary['errorSamples'],
) {
  const page = { inserted: 0, updated: 0, skipped: 0, errors: 0 };
  const samples: BackfillSummary['errorSamples'] = [];
  await withTransaction(pool, async (client) => {
    for (const o of items) {
      await client.query('savepoint object');
      try {
        const r = await applyStripeObject(client, o, { observedAt: asOf });
        if (r.ok) page[r.value.outcome]++;
        else {
          page.errors++;
          samples.push({ resource, id: String(o.id), message: r.error.message });
        }
        await client.query('release savepoint object');
      } catch (error) {
        await client.query('rollback to savepoint object');
        page.errors++;
        samples.push({ resource, id: String(o.id), message: (error as Error).message });
      }
    }
    await client.query(
      `update public.stripe_backfill_cursors set cursor = $3, done = $4, inserted = inserted + $5, updated = updated + $6, skipped = skipped + $7,
         errors = errors + $8, updated_at = now() where run_id = $1 and resource = $2`,
      [runId, resource, cursor, done, page.inserted, page.updated, page.skipped, page.errors],
    );
  });
  s.inserted += page.inserted;
  s.updated += page.updated;
  s.skipped += page.skipped;
  s.errors += page.errors;
  for (const e of samples) if (errorSamples.length < 20) errorSamples.push(e);
}
