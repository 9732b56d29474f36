import { type DeliveryResult, type EmailProvider, httpFailure, type OutboxMessage } from './provider.ts';

export interface LoopsOptions {
  apiKey: string;
  /** Default https://app.loops.so (tests point it at a local server). */
  baseUrl?: string;
  fetch?: typeof fetch;
}

/**
 * Loops: `POST /api/v1/events/send` with `{ email?, userId, eventName, eventProperties }`,
 * `Authorization: Bearer <key>` and an `Idempotency-Key` header (a 409 for a key already used
 * means it was delivered before).
 */
export function loopsProvider(options: LoopsOptions): EmailProvider {
  const base = (options.baseUrl ?? 'https://app.loops.so').replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  return {
    name: 'loops',
    async deliver(message: OutboxMessage): Promise<DeliveryResult> {
      const eventProperties: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(message.payload))
        if (typeof v === 'string' || typeof v === 'number') eventProperties[k] = v;
      try {
        const res = await doFetch(`${base}/api/v1/events/send`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${options.apiKey}`,
            'Idempotency-Key': message.idempotencyKey,
          },
          body: JSON.stringify({
            ...(message.email ? { email: message.email } : {}),
            userId: message.subjectId,
            eventName: message.eventName,
            eventProperties,
          }),
        });
        if (res.status === 409) return { ok: true };
        if (!res.ok) return httpFailure(res, 'Loops');
        const body = (await res.json().catch(() => ({}))) as { success?: boolean; message?: string };
        return body.success === false
          ? {
              ok: false,
              retryable: false,
              error: `Loops refused the event: ${body.message ?? 'unknown reason'}`,
            }
          : { ok: true };
      } catch (error) {
        return { ok: false, retryable: true, error: `Loops request failed: ${(error as Error).message}` };
      }
    },
  };
}
