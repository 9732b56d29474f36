/**
 * The revenue audit's rules, pure: compare what Stripe says about a month (payment intents,
 * invoices, refunds created in it; subscriptions existing by its end) with what the ledger holds.
 * No I/O, no clock.
 */
export type AuditKind = 'payment_intent' | 'invoice' | 'refund' | 'subscription';
export type Severity = 'HIGH' | 'MEDIUM' | 'LOW';
export type Verdict = 'PASS' | 'WARN' | 'FAIL';

export interface AuditRecord {
  kind: AuditKind;
  id: string;
  /** Minor units (payment intents: amount received if succeeded else amount; invoices: amount paid if paid else total). Null for subscriptions. */
  amount: number | null;
  currency: string | null;
  status: string | null;
  customer: string | null;
  /** Subscriptions only. */
  cancelAtPeriodEnd?: boolean | null;
  currentPeriodEnd?: number | null;
}

export type FindingType =
  | 'missing_in_ledger'
  | 'missing_in_stripe'
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'status_mismatch'
  | 'subscription_drift';

export interface Finding {
  severity: Severity;
  type: FindingType;
  kind: AuditKind;
  id: string;
  stripe: AuditRecord | null;
  ledger: AuditRecord | null;
  message: string;
  recommendation: string;
}

const MONEY_DONE: Record<AuditKind, string[]> = {
  payment_intent: ['succeeded'],
  invoice: ['paid'],
  refund: ['succeeded', 'pending'],
  subscription: [],
};
/** Subscription statuses that contribute to MRR (METRICS.md). */
const BILLING_STATES = new Set(['active', 'past_due', 'trialing']);
const contributes = (status: string | null) => status !== null && BILLING_STATES.has(status);
const moneyDone = (r: AuditRecord) => r.status !== null && MONEY_DONE[r.kind].includes(r.status);

const label: Record<AuditKind, string> = {
  payment_intent: 'Payment intent',
  invoice: 'Invoice',
  refund: 'Refund',
  subscription: 'Subscription',
};
const backfillHint =
  'Run `org-reports backfill stripe --days 90` (or replay the object’s events with `org-reports webhooks replay`) and re-run the audit.';

export function compareRecords(stripe: readonly AuditRecord[], ledger: readonly AuditRecord[]): Finding[] {
  const findings: Finding[] = [];
  const key = (r: AuditRecord) => `${r.kind}:${r.id}`;
  const inLedger = new Map(ledger.map((r) => [key(r), r]));
  const inStripe = new Map(stripe.map((r) => [key(r), r]));
  for (const s of stripe) {
    const l = inLedger.get(key(s));
    if (!l) {
      const high = s.kind === 'subscription' ? contributes(s.status) : s.kind === 'refund' || moneyDone(s);
      findings.push({
        severity: high ? 'HIGH' : s.kind === 'subscription' ? 'LOW' : 'MEDIUM',
        type: 'missing_in_ledger',
        kind: s.kind,
        id: s.id,
        stripe: s,
        ledger: null,
        message: `${label[s.kind]} ${s.id} (${s.status ?? 'no status'}${s.amount !== null ? `, ${s.amount} ${s.currency}` : ''}) is in Stripe but not in the ledger.`,
        recommendation: `Webhooks were missed: ${backfillHint}`,
      });
      continue;
    }
    if (s.kind === 'subscription') {
      if (s.status !== l.status) {
        const mrr = contributes(s.status) !== contributes(l.status);
        findings.push({
          severity: mrr ? 'HIGH' : 'MEDIUM',
          type: 'subscription_drift',
          kind: s.kind,
          id: s.id,
          stripe: s,
          ledger: l,
          message: `Subscription ${s.id} is ${s.status} in Stripe but ${l.status} in the ledger${mrr ? ' (MRR is wrong)' : ''}.`,
          recommendation: `A later subscription event was missed or is dead: check \`org-reports webhooks list --status dead\`, then ${backfillHint}`,
        });
      } else if (
        (s.cancelAtPeriodEnd ?? null) !== (l.cancelAtPeriodEnd ?? null) ||
        (s.currentPeriodEnd ?? null) !== (l.currentPeriodEnd ?? null)
      ) {
        findings.push({
          severity: 'LOW',
          type: 'subscription_drift',
          kind: s.kind,
          id: s.id,
          stripe: s,
          ledger: l,
          message: `Subscription ${s.id}: period end or cancel-at-period-end differs (Stripe ${s.currentPeriodEnd}/${s.cancelAtPeriodEnd}, ledger ${l.currentPeriodEnd}/${l.cancelAtPeriodEnd}).`,
          recommendation:
            'Usually a renewal event still in flight; if it persists for a day, re-run the backfill.',
        });
      }
      continue;
    }
    if ((s.currency ?? '').toLowerCase() !== (l.currency ?? '').toLowerCase()) {
      findings.push({
        severity: 'HIGH',
        type: 'currency_mismatch',
        kind: s.kind,
        id: s.id,
        stripe: s,
        ledger: l,
        message: `${label[s.kind]} ${s.id} is in ${s.currency} in Stripe but ${l.currency} in the ledger.`,
        recommendation:
          'The mirror holds a wrong object version: re-fetch it from Stripe (backfill) and check the event mapping.',
      });
    } else if (s.amount !== l.amount) {
      findings.push({
        severity: 'HIGH',
        type: 'amount_mismatch',
        kind: s.kind,
        id: s.id,
        stripe: s,
        ledger: l,
        message: `${label[s.kind]} ${s.id}: Stripe ${s.amount} ${s.currency}, ledger ${l.amount} ${l.currency} (difference ${(s.amount ?? 0) - (l.amount ?? 0)}).`,
        recommendation: `Revenue figures are off by the difference: ${backfillHint}`,
      });
    }
    if (s.status !== l.status) {
      const money = moneyDone(s) !== moneyDone(l);
      findings.push({
        severity: money ? 'HIGH' : 'MEDIUM',
        type: 'status_mismatch',
        kind: s.kind,
        id: s.id,
        stripe: s,
        ledger: l,
        message: `${label[s.kind]} ${s.id} is ${s.status} in Stripe but ${l.status} in the ledger.`,
        recommendation: money
          ? `Cash collected is wrong for this object: ${backfillHint}`
          : 'A later event is pending or was missed; re-run after the queue drains, then backfill if it persists.',
      });
    }
  }
  for (const l of ledger) {
    if (inStripe.has(key(l))) continue;
    const money = l.kind === 'subscription' ? contributes(l.status) : l.kind === 'refund' || moneyDone(l);
    findings.push({
      severity: money ? 'HIGH' : 'MEDIUM',
      type: 'missing_in_stripe',
      kind: l.kind,
      id: l.id,
      stripe: null,
      ledger: l,
      message: `${label[l.kind]} ${l.id} (${l.status ?? 'no status'}) is in the ledger but Stripe does not list it for this period.`,
      recommendation:
        'Check that STRIPE_SECRET_KEY belongs to the same account and mode (test/live) as the webhooks, and whether the object was deleted; remove test data from a live ledger.',
    });
  }
  const order: Record<Severity, number> = { HIGH: 0, MEDIUM: 1, LOW: 2 };
  return findings.sort(
    (a, b) =>
      order[a.severity] - order[b.severity] || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id),
  );
}

/** FAIL with any HIGH finding, WARN with any MEDIUM, else PASS (LOW findings are notes). */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'HIGH')) return 'FAIL';
  if (findings.some((f) => f.severity === 'MEDIUM')) return 'WARN';
  return 'PASS';
}

/** Exit code of a verdict: PASS 0, WARN 1, FAIL 2. */
export const exitCodeOf = (v: Verdict): 0 | 1 | 2 => (v === 'PASS' ? 0 : v === 'WARN' ? 1 : 2);

/** `YYYY-MM` -> its half-open UTC range. */
export function monthRange(month: string): { start: Date; end: Date } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(y, mo, 1)), end: new Date(Date.UTC(y, mo + 1, 1)) };
}

export interface AuditTotals {
  stripe: Record<string, { count: number; amount: Record<string, number> }>;
  ledger: Record<string, { count: number; amount: Record<string, number> }>;
}

export function totalsOf(
  records: readonly AuditRecord[],
): Record<string, { count: number; amount: Record<string, number> }> {
  const out: Record<string, { count: number; amount: Record<string, number> }> = {};
  for (const r of records) {
    const t = out[r.kind] ?? { count: 0, amount: {} };
    out[r.kind] = t;
    t.count++;
    if (r.amount !== null && r.currency && (r.kind === 'subscription' || moneyDone(r)))
      t.amount[r.currency] = (t.amount[r.currency] ?? 0) + r.amount;
  }
  return out;
}
