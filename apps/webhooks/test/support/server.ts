import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Pool } from '@org/db';
import Stripe from 'stripe';
import { type AppDeps, createApp } from '../../src/app.ts';

export const SECRET = 'whsec_test_current';
export const OLD_SECRET = 'whsec_test_previous';
export const stripe = new Stripe('sk_test_unused');

/** The real app on a loopback port over `pool`. */
export async function startApp(
  pool: Pool,
  secrets = [SECRET, OLD_SECRET],
  deps: Partial<Omit<AppDeps, 'pool' | 'stripe' | 'webhookSecrets'>> = {},
) {
  const app = createApp({ ...deps, pool, stripe, webhookSecrets: secrets });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
}

export async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/webhooks/stripe`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

export async function postSigned(
  url: string,
  event: unknown,
  options: { secret?: string; timestamp?: number } = {},
) {
  const body = JSON.stringify(event);
  return post(url, body, { 'stripe-signature': sign(body, options) });
}
