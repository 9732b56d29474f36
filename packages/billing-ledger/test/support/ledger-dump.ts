import type pg from 'pg';

/** The Stripe mirror tables in a canonical form (bookkeeping columns dropped), for end-state comparisons. */
export const mirrorTables = [
  'stripe_customers',
  'stripe_products',
  'stripe_prices',
  'stripe_subscriptions',
  'stripe_subscription_items',
  'stripe_invoices',
  'stripe_invoice_lines',
  'stripe_payment_intents',
  'stripe_charges',
  'stripe_refunds',
];

export async function ledgerDump(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of mirrorTables) {
    const { rows } = await pool.query<{ row: unknown }>(
      `select to_jsonb(t) - 'updated_at' as row from public.${table} t order by (to_jsonb(t) - 'updated_at')::text`,
    );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}
