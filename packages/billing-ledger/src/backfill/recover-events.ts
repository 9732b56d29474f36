import type pg from 'pg';
import type Stripe from 'stripe';
import { receiveEvent } from '../store/inbox.ts';
import { storableContent } from '../stripe/content.ts';
import { parseEvent } from '../stripe/parse.ts';
import { listPages, type StripeApi, type StripeCallError } from '../stripe-api/client.ts';

/**
 * Missed-webhook recovery: lists the Stripe events of the last `days` days (the Events API keeps
 * 30) and feeds every event the inbox lacks through the normal intake (`receiveEvent`: inbox
 * insert + queue job in one transaction), so it is processed exactly like a delivered webhook.
 */
export interface RecoveryResult {
  since: Date;
  listed: number;
  alreadyReceived: number;
  recovered: string[];
  /** Events Stripe returned that do not parse as events (never expected). */
  invalid: { id: string; error: string }[];
}

export async function recoverMissedEvents(
  pool: pg.Pool,
  api: StripeApi,
  options: { asOf: Date; days?: number; types?: string[]; queueSchema?: string },
): Promise<{ ok: true; value: RecoveryResult } | { ok: false; error: StripeCallError }> {
  const days = Math.min(options.days ?? 30, 30);
  const since = new Date(options.asOf.getTime() - days * 86_400_000);
  const result: RecoveryResult = { since, listed: 0, alreadyReceived: 0, recovered: [], invalid: [] };
  const created = { gte: Math.floor(since.getTime() / 1000), lt: Math.floor(options.asOf.getTime() / 1000) };
  const listed = await listPages<Stripe.Event>(
    api,
    (s, p) => s.events.list({ ...p, created, ...(options.types ? { types: options.types } : {}) }),
    {
      onPage: async (events) => {
        if (events.length === 0) return;
        result.listed += events.length;
        const { rows } = await pool.query<{ id: string }>(
          'select id from public.stripe_events where id = any($1::text[])',
          [events.map((e) => e.id)],
        );
        const known = new Set(rows.map((r) => r.id));
        // Wire JSON, as a webhook would carry it (the SDK turns decimal strings into Decimal objects).
        for (const raw of JSON.parse(JSON.stringify(events)) as Stripe.Event[]) {
          if (known.has(raw.id)) {
            result.alreadyReceived++;
            continue;
          }
          // What jsonb cannot store is handled as the webhook handler does (storableContent).
          const content = storableContent(raw);
          const parsed = content.ok ? parseEvent(content.value.value) : content;
          if (!parsed.ok) {
            result.invalid.push({ id: raw.id, error: parsed.error.message });
            continue;
          }
          const r = await receiveEvent(
            pool,
            parsed.value,
            JSON.stringify(content.ok ? content.value.value : raw),
            options.queueSchema ? { queueSchema: options.queueSchema } : {},
          );
          if (r.inserted) result.recovered.push(raw.id);
          else result.alreadyReceived++;
        }
      },
    },
  );
  if (!listed.ok) return { ok: false, error: listed.error };
  return { ok: true, value: result };
}
