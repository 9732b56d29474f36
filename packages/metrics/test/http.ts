import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IngestHandler } from '../src/index.ts';

/** Serves a fetch handler from a plain node:http server on loopback (what @hono/node-server does). */
export async function serveHandler(handler: IngestHandler): Promise<{ url: string; close(): Promise<void> }> {
  const s: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new Request(`http://localhost${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length ? { body } : {}),
    });
    const response = await handler(request, { remoteAddress: req.socket.remoteAddress });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/events`,
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}

export interface Posted {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field.
  body: any;
}

/** POSTs a JSON body (a string is sent as is) with a bearer key. */
export async function postEvents(url: string, key: string, body: unknown): Promise<Posted> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A wire event (camelCase, as trackers send it). */
export const wire = (occurredAt: string, extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name: 'feature_used',
  category: 'feature',
  userId: 'w1',
  properties: { feature: 'x' },
  occurredAt,
  ...extra,
});
