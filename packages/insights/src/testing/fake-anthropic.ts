import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking the Anthropic Messages API wire format (POST /v1/messages): the real
 * success body (message object with content blocks and usage), errors in Anthropic's error JSON
 * (`{"type":"error","error":{"type","message"},"request_id"}`) with their HTTP statuses, and
 * slow answers. Tests drive the official SDK against it through `baseURL`.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  raw: string;
}

export type Reply =
  | {
      kind: 'message';
      text: string;
      stopReason?: string;
      inputTokens?: number;
      outputTokens?: number;
      model?: string;
    }
  | { kind: 'error'; status: number; type: string; message: string; retryAfter?: string }
  | { kind: 'slow'; delayMs: number; reply: Reply }
  | { kind: 'raw'; status: number; body: string; contentType?: string };

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  /** Replies used in order; the last one repeats. */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

let sequence = 0;
const nextId = (prefix: string) => `${prefix}_01Fake${String(++sequence).padStart(18, '0')}`;

function send(res: ServerResponse, reply: Reply, model: string): void {
  if (res.destroyed) return;
  switch (reply.kind) {
    case 'message': {
      const body = {
        id: nextId('msg'),
        type: 'message',
        role: 'assistant',
        model: reply.model ?? model,
        content: [{ type: 'text', text: reply.text }],
        stop_reason: reply.stopReason ?? 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: reply.inputTokens ?? 1_234,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: reply.outputTokens ?? 456,
          service_tier: 'standard',
        },
      };
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': nextId('req') });
      res.end(JSON.stringify(body));
      return;
    }
    case 'error': {
      const requestId = nextId('req');
      const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': requestId };
      if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
      res.writeHead(reply.status, headers);
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type: reply.type, message: reply.message },
          request_id: requestId,
        }),
      );
      return;
    }
    case 'raw':
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
      res.end(reply.body);
      return;
    case 'slow': {
      const timer = setTimeout(() => send(res, reply.reply, model), reply.delayMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
  }
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  let replies: Reply[] = [];
  let served = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // recorded as {}; the route check below answers 400 like the real API
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw });
      if (req.method !== 'POST' || req.url !== '/v1/messages') {
        send(
          res,
          {
            kind: 'error',
            status: 404,
            type: 'not_found_error',
            message: `Not found: ${req.method} ${req.url}`,
          },
          '',
        );
        return;
      }
      if (!req.headers['x-api-key'] && !req.headers.authorization) {
        send(
          res,
          {
            kind: 'error',
            status: 401,
            type: 'authentication_error',
            message: 'x-api-key header is required',
          },
          '',
        );
        return;
      }
      const reply = replies[Math.min(served++, replies.length - 1)];
      if (!reply) {
        send(res, { kind: 'error', status: 500, type: 'api_error', message: 'no reply configured' }, '');
        return;
      }
      send(res, reply, String(body.model ?? 'claude-sonnet-4-5'));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(...next) {
      replies = next;
      served = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
