import { z } from 'zod';
import { err, ledgerError, ok, type Result } from '../errors.ts';

/** One usage record as a provider reports it. `cost` is in minor units of `currency`. */
export interface UsageRecordInput {
  id: string;
  ownerId: string;
  currency: string;
  cost: number;
  quantity?: number | null;
  occurredAt: Date;
  metadata?: Record<string, unknown>;
}

export interface UsagePage {
  records: UsageRecordInput[];
  /** Pass back to get the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The port to a metered provider's usage API: list its records for a half-open time range
 * `[start, end)`, page by page. A failed page is any error with a message (`httpUsageSource`
 * returns `LedgerError`s); the reconciler reports it as `usage_source_error`.
 */
export interface UsageSource {
  provider: string;
  list(
    range: { start: Date; end: Date },
    cursor: string | null,
  ): Promise<Result<UsagePage, { message: string }>>;
}

const wireRecord = z.object({
  id: z.string().min(1),
  owner_id: z.string().min(1),
  currency: z.string().regex(/^[a-zA-Z]{3}$/),
  cost: z.number().int().min(0),
  quantity: z.number().nullish(),
  occurred_at: z.string().datetime({ offset: true }),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const wirePage = z.object({ data: z.array(wireRecord), next_cursor: z.string().nullable() });

/**
 * A usage provider over HTTP JSON: `GET {baseUrl}/usage?start=ISO&end=ISO[&cursor=C]` answering
 * `{ data: [{ id, owner_id, currency, cost, quantity?, occurred_at, metadata? }], next_cursor }`,
 * with `Authorization: Bearer <apiKey>` when a key is given.
 */
export function httpUsageSource(options: {
  provider: string;
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}): UsageSource {
  const doFetch = options.fetch ?? fetch;
  return {
    provider: options.provider,
    async list(range, cursor) {
      const url = new URL(`${options.baseUrl.replace(/\/$/, '')}/usage`);
      url.searchParams.set('start', range.start.toISOString());
      url.searchParams.set('end', range.end.toISOString());
      if (cursor) url.searchParams.set('cursor', cursor);
      let body: unknown;
      try {
        const res = await doFetch(url, {
          headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
        });
        if (!res.ok)
          return err(
            ledgerError('usage_source_error', `${options.provider} usage API answered ${res.status}`),
          );
        body = await res.json();
      } catch (error) {
        return err(
          ledgerError(
            'usage_source_error',
            `${options.provider} usage API unreachable: ${(error as Error).message}`,
          ),
        );
      }
      const parsed = wirePage.safeParse(body);
      if (!parsed.success)
        return err(
          ledgerError(
            'usage_source_error',
            `${options.provider} usage API sent an unexpected page: ${parsed.error.issues[0]?.message}`,
          ),
        );
      return ok({
        nextCursor: parsed.data.next_cursor,
        records: parsed.data.data.map((r) => ({
          id: r.id,
          ownerId: r.owner_id,
          currency: r.currency.toLowerCase(),
          cost: r.cost,
          quantity: r.quantity ?? null,
          occurredAt: new Date(r.occurred_at),
          ...(r.metadata ? { metadata: r.metadata } : {}),
        })),
      });
    },
  };
}
