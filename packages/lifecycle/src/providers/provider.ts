export interface OutboxMessage {
  idempotencyKey: string;
  eventName: string;
  email: string | null;
  subjectId: string;
  payload: Record<string, unknown>;
}

export type DeliveryResult =
  | { ok: true }
  | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

/** An email provider the outbox delivers to (Kit, Loops). */
export interface EmailProvider {
  readonly name: 'kit' | 'loops';
  deliver(message: OutboxMessage): Promise<DeliveryResult>;
}

export function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return s * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function httpFailure(res: Response, provider: string): Promise<DeliveryResult> {
  const body = (await res.text()).slice(0, 300);
  const retryable = res.status === 429 || res.status >= 500 || res.status === 408;
  const after = retryAfterMs(res);
  return {
    ok: false,
    retryable,
    error: `${provider} answered ${res.status}: ${body}`,
    ...(after !== undefined ? { retryAfterMs: after } : {}),
  };
}
