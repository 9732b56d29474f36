import type pg from 'pg';
import type Stripe from 'stripe';
import { type LedgerError, ledgerError } from '../errors.ts';
import { listPages, type StripeApi, type StripeCallError } from '../stripe-api/client.ts';
import {
  type AuditRecord,
  compareRecords,
  type Finding,
  monthRange,
  totalsOf,
  type Verdict,
  verdictOf,
} from './compare.ts';

export interface AuditReport {
  month: string;
  start: string;
  end: string;
  asOf: string;
  verdict: Verdict;
  counts: { HIGH: number; MEDIUM: number; LOW: number };
  totals: { stripe: ReturnType<typeof totalsOf>; ledger: ReturnType<typeof totalsOf> };
  findings: Finding[];
}

const id = (v: unknown): string | null =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && 'id' in v
      ? String((v as { id: string }).id)
      : null;

function fromStripe(kind: AuditRecord['kind'], o: Record<string, unknown>): AuditRecord {
  switch (kind) {
    case 'payment_intent':
      return {
        kind,
        id: String(o.id),
        amount: o.status === 'succeeded' ? Number(o.amount_received ?? o.amount) : Number(o.amount),
        currency: String(o.currency),
        status: String(o.status),
        customer: id(o.customer),
      };
    case 'invoice':
      return {
        kind,
        id: String(o.id),
        amount: o.status === 'paid' ? Number(o.amount_paid) : Number(o.total),
        currency: String(o.currency),
        status: (o.status as string) ?? null,
        customer: id(o.customer),
      };
    case 'refund':
      return {
        kind,
        id: String(o.id),
        amount: Number(o.amount),
        currency: String(o.currency),
        status: (o.status as string) ?? null,
        customer: null,
      };
    case 'subscription': {
      const items = ((o.items as { data?: Record<string, unknown>[] } | undefined)?.data ?? []) as Record<
        string,
        unknown
      >[];
      const periodEnd =
        (o.current_period_end as number | undefined) ??
        (items.length ? Math.max(...items.map((i) => Number(i.current_period_end ?? 0))) : null);
      return {
        kind,
        id: String(o.id),
        amount: null,
        currency: (o.currency as string) ?? null,
        status: String(o.status),
        customer: id(o.customer),
        cancelAtPeriodEnd: Boolean(o.cancel_at_period_end),
        currentPeriodEnd: periodEnd,
      };
    }
  }
}

/** Stripe's side of a month: payment intents, invoices and refunds created in it; subscriptions created before its end. */
export async function collectStripe(
  api: StripeApi,
  range: { start: Date; end: Date },
): Promise<{ ok: true; value: AuditRecord[] } | { ok: false; error: StripeCallError }> {
  const created = {
    gte: Math.floor(range.start.getTime() / 1000),
    lt: Math.floor(range.end.getTime() / 1000),
  };
  const records: AuditRecord[] = [];
  const lists: [
    AuditRecord['kind'],
    (
      s: Stripe,
      p: { limit: number; starting_after?: string },
    ) => Promise<{ data: { id: string }[]; has_more: boolean }>,
  ][] = [
    ['payment_intent', (s, p) => s.paymentIntents.list({ ...p, created })],
    ['invoice', (s, p) => s.invoices.list({ ...p, created })],
    ['refund', (s, p) => s.refunds.list({ ...p, created })],
    ['subscription', (s, p) => s.subscriptions.list({ ...p, status: 'all', created: { lt: created.lt } })],
  ];
  for (const [kind, list] of lists) {
    const r = await listPages(api, list, {
      onPage: (items) =>
        void records.push(...items.map((o) => fromStripe(kind, o as unknown as Record<string, unknown>))),
    });
    if (!r.ok) return { ok: false, error: r.error };
  }
  return { ok: true, value: records };
}

/** The ledger's side of the same month, from the Stripe mirror tables. */
export async function collectLedger(
  db: Pick<pg.Pool, 'query'>,
  range: { start: Date; end: Date },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<{
    kind: AuditRecord['kind'];
    id: string;
    amount: string | null;
    currency: string | null;
    status: string | null;
    customer: string | null;
    cancel_at_period_end: boolean | null;
    current_period_end: string | null;
  }>(
    `select 'payment_intent' as kind, id, case when status = 'succeeded' then amount_received else amount end as amount, currency, status, customer_id as customer,
            null::boolean as cancel_at_period_end, null::bigint as current_period_end
       from public.stripe_payment_intents where created_at >= $1 and created_at < $2
     union all
     select 'invoice', id, case when status = 'paid' then amount_paid else total end, currency, status, customer_id, null, null
       from public.stripe_invoices where created_at >= $1 and created_at < $2
     union all
     select 'refund', id, amount, currency, status, null, null, null
       from public.stripe_refunds where created_at >= $1 and created_at < $2
     union all
     select 'subscription', id, null, currency, status, customer_id, cancel_at_period_end, extract(epoch from current_period_end)::bigint
       from public.stripe_subscriptions where coalesce(created_at, start_date) < $2`,
    [range.start, range.end],
  );
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    amount: r.amount === null ? null : Number(r.amount),
    currency: r.currency,
    status: r.status,
    customer: r.customer,
    ...(r.kind === 'subscription'
      ? {
          cancelAtPeriodEnd: r.cancel_at_period_end,
          currentPeriodEnd: r.current_period_end === null ? null : Number(r.current_period_end),
        }
      : {}),
  }));
}

/**
 * The revenue audit of one month (`YYYY-MM`): Stripe against the ledger, with findings, severities
 * and a verdict (PASS / WARN / FAIL).
 */
export async function runRevenueAudit(
  db: Pick<pg.Pool, 'query'>,
  api: StripeApi,
  options: { month: string; asOf: Date },
): Promise<
  { ok: true; value: AuditReport } | { ok: false; error: LedgerError<'invalid_input'> | StripeCallError }
> {
  const range = monthRange(options.month);
  if (!range)
    return {
      ok: false,
      error: ledgerError('invalid_input', `month must be YYYY-MM, got "${options.month}"`),
    };
  const stripe = await collectStripe(api, range);
  if (!stripe.ok)
    return {
      ok: false,
      error: Object.assign(stripe.error, { message: `Stripe: ${stripe.error.message}` }),
    };
  const ledger = await collectLedger(db, range);
  const findings = compareRecords(stripe.value, ledger);
  const counts = { HIGH: 0, MEDIUM: 0, LOW: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    ok: true,
    value: {
      month: options.month,
      start: range.start.toISOString(),
      end: range.end.toISOString(),
      asOf: options.asOf.toISOString(),
      verdict: verdictOf(findings),
      counts,
      totals: { stripe: totalsOf(stripe.value), ledger: totalsOf(ledger) },
      findings,
    },
  };
}
