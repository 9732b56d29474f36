import { withTransaction } from '@org/db';
import type pg from 'pg';
import { defaultEventRegistry, type EventRegistry, parseEvent } from '../../src/index.ts';

/** Tables the ledger writes (the inbox excluded), in dump order, with their sort keys. */
export const ledgerTables: Record<string, string> = {
  stripe_customers: 'id',
  stripe_products: 'id',
  stripe_prices: 'id',
  stripe_coupons: 'id',
  stripe_discounts: 'id',
  stripe_subscriptions: 'id',
  stripe_subscription_items: 'id',
  stripe_subscription_versions: 'subscription_id, src_at, src_rank, src_event',
  stripe_invoices: 'id',
  stripe_invoice_lines: 'invoice_id, id',
  stripe_payment_intents: 'id',
  stripe_charges: 'id',
  stripe_refunds: 'id',
  stripe_disputes: 'id',
  stripe_checkout_sessions: 'id',
  billing_mrr_intervals: 'subscription_id, item_id, valid_from',
};

/** Every ledger row as JSON, ordered, without bookkeeping timestamps: equal dumps = equal ledgers. */
export async function canonicalDump(pool: pg.Pool): Promise<string> {
  const parts: string[] = [];
  for (const [table, order] of Object.entries(ledgerTables)) {
    const { rows } = await pool.query(
      `select to_jsonb(t) - 'updated_at' as r from public.${table} t order by ${order}`,
    );
    parts.push(`${table}:${JSON.stringify(rows.map((r) => r.r))}`);
  }
  return parts.join('\n');
}

export async function resetLedger(pool: pg.Pool): Promise<void> {
  await pool.query(
    `truncate ${[...Object.keys(ledgerTables), 'stripe_events'].map((t) => `public.${t}`).join(', ')}`,
  );
}

/** Applies one event's handlers in a transaction, bypassing the inbox (so duplicates reach the guard). */
export async function applyEventDirect(
  pool: pg.Pool,
  raw: unknown,
  registry: EventRegistry = defaultEventRegistry(),
): Promise<void> {
  const parsed = parseEvent(raw);
  if (!parsed.ok) throw parsed.error;
  const event = parsed.value;
  await withTransaction(pool, async (client) => {
    for (const h of registry.handlersFor(event.type)) {
      await h({
        client,
        event,
        object: event.data.object,
        apply: {
          observedAt: new Date(event.created * 1000),
          sourceEventId: event.id,
          deleted: event.type.endsWith('.deleted'),
        },
      });
    }
  });
}
