import type pg from 'pg';

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
  stripe_customer_discount_versions: 'customer_id, discount_id, src_at, src_rank, src_event',
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
export async function canonicalDump(pool: Pick<pg.Pool, 'query'>): Promise<string> {
  const parts: string[] = [];
  for (const [table, order] of Object.entries(ledgerTables)) {
    const { rows } = await pool.query(
      `select to_jsonb(t) - 'updated_at' as r from public.${table} t order by ${order}`,
    );
    parts.push(`${table}:${JSON.stringify(rows.map((r) => r.r))}`);
  }
  return parts.join('\n');
}

/** Empties the ledger and the inbox (tests and demos only). */
export async function resetLedger(pool: Pick<pg.Pool, 'query'>): Promise<void> {
  await pool.query(
    `truncate ${[...Object.keys(ledgerTables), 'stripe_events'].map((t) => `public.${t}`).join(', ')}`,
  );
}
