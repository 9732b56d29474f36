import { MetricsError } from '../errors.ts';
import type { RejectedEvent } from '../ingest/screen.ts';
import type { Transport } from '../tracker/transport.ts';

/** The part of a `@supabase/supabase-js` client this transport uses. */
export interface SupabaseRpcClient {
  rpc(
    fn: string,
    args: Record<string, unknown>,
  ): PromiseLike<{
    data: unknown;
    error: { message: string; code?: string; details?: string | null; hint?: string | null } | null;
    status?: number;
  }>;
}

/**
 * Sends batches through the `track_events` RPC with the caller's Supabase client (anon or user
 * session). The database validates the batch and pins user_id to auth.uid() for signed-in users;
 * events it refuses one by one (out of its time window, nested too deep) come back as `rejected`.
 */
export function supabaseTransport(options: { client: SupabaseRpcClient; fn?: string }): Transport {
  const fn = options.fn ?? 'track_events';
  return {
    name: 'supabase',
    async send(app, batch) {
      const events = batch.map((e) => ({
        id: e.id,
        name: e.name,
        category: e.category,
        ...(e.userId != null ? { user_id: e.userId } : {}),
        ...(e.anonymousId != null ? { anonymous_id: e.anonymousId } : {}),
        ...(e.accountId != null ? { account_id: e.accountId } : {}),
        properties: e.properties ?? {},
        occurred_at: e.occurredAt,
      }));
      let response: Awaited<ReturnType<SupabaseRpcClient['rpc']>>;
      try {
        response = await options.client.rpc(fn, { p_app: app, p_events: events });
      } catch (cause) {
        return {
          ok: false,
          error: new MetricsError('transport_failed', `supabase rpc failed: ${(cause as Error).message}`, {
            retryable: true,
            cause,
          }),
        };
      }
      if (response.error) {
        const status = response.status ?? 0;
        const code = response.error.code ?? '';
        const denied = code === '42501' || status === 401 || status === 403;
        const invalid =
          code === '22023' || (status >= 400 && status < 500 && status !== 408 && status !== 429);
        return {
          ok: false,
          error: new MetricsError(
            denied ? 'forbidden' : invalid ? 'invalid_batch' : 'transport_failed',
            `supabase rpc ${fn}: ${response.error.message}`,
            {
              retryable: !denied && !invalid,
              details: response.error,
            },
          ),
        };
      }
      const data = response.data as {
        inserted?: number;
        duplicates?: number;
        rejected?: RejectedEvent[];
      } | null;
      return {
        ok: true,
        value: {
          inserted: Number(data?.inserted ?? 0),
          duplicates: Number(data?.duplicates ?? 0),
          rejected: Array.isArray(data?.rejected) ? data.rejected : [],
        },
      };
    },
  };
}
