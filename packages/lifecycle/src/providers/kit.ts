import { type DeliveryResult, type EmailProvider, httpFailure, type OutboxMessage } from './provider.ts';

export interface KitOptions {
  apiKey: string;
  /** Default https://api.kit.com (tests point it at a local server). */
  baseUrl?: string;
  /** Kit tag id applied when a subscriber enters a stage, e.g. { at_risk: 175 }. */
  tagIds?: Partial<Record<string, number>>;
  fetch?: typeof fetch;
}

/**
 * Kit (ConvertKit) API v4: upserts the subscriber (`POST /v4/subscribers` with custom fields
 * `lifecycle_stage` and `engagement_score`), then tags them by email for the stage
 * (`POST /v4/tags/{tag_id}/subscribers`). Auth: `X-Kit-Api-Key`.
 */
export function kitProvider(options: KitOptions): EmailProvider {
  const base = (options.baseUrl ?? 'https://api.kit.com').replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'X-Kit-Api-Key': options.apiKey,
  };
  return {
    name: 'kit',
    async deliver(message: OutboxMessage): Promise<DeliveryResult> {
      if (!message.email)
        return {
          ok: false,
          retryable: false,
          error: 'Kit needs an email address; none is known for this subject',
        };
      const stage = String(message.payload.stage ?? '');
      try {
        const upsert = await doFetch(`${base}/v4/subscribers`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            email_address: message.email,
            state: 'active',
            fields: {
              lifecycle_stage: stage,
              engagement_score: String(message.payload.engagementScore ?? ''),
            },
          }),
        });
        if (!upsert.ok) return httpFailure(upsert, 'Kit');
        await upsert.body?.cancel();
        const tagId = options.tagIds?.[stage];
        if (tagId !== undefined) {
          const tag = await doFetch(`${base}/v4/tags/${tagId}/subscribers`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ email_address: message.email }),
          });
          if (!tag.ok) return httpFailure(tag, 'Kit');
          await tag.body?.cancel();
        }
        return { ok: true };
      } catch (error) {
        return { ok: false, retryable: true, error: `Kit request failed: ${(error as Error).message}` };
      }
    },
  };
}
