/**
 * A local Slack incoming-webhook receiver: POST JSON `{ text }` to `url` (any path); answers 200
 * "ok" like Slack, or `status` when set (e.g. 500). Received bodies are in `messages`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlack {
  url: string;
  messages: { text: string }[];
  status: number;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const state: FakeSlack = {
    url: '',
    messages: [],
    status: 200,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('invalid_payload');
        return;
      }
      if (state.status === 200)
        state.messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string });
      res.writeHead(state.status, { 'content-type': 'text/plain' });
      res.end(state.status === 200 ? 'ok' : 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  return state;
}
