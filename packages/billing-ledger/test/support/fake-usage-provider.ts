/**
 * A local metered-usage provider for tests: `GET /usage?start&end&cursor` over HTTP, answering
 * pages of `{ data: [{ id, owner_id, currency, cost, quantity, occurred_at }], next_cursor }`
 * (the wire format `httpUsageSource` reads). `records` is mutable; `failNext(n)` answers 503.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderRecord {
  id: string;
  owner_id: string;
  currency: string;
  cost: number;
  quantity: number;
  occurred_at: string;
}

export interface FakeUsageProvider {
  url: string;
  records: ProviderRecord[];
  pageSize: number;
  requests: number;
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startFakeUsageProvider(
  options: { pageSize?: number; apiKey?: string } = {},
): Promise<FakeUsageProvider> {
  let failures = 0;
  const state: FakeUsageProvider = {
    url: '',
    records: [],
    pageSize: options.pageSize ?? 50,
    requests: 0,
    failNext(count) {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return send(401, { error: 'unauthorized' });
    if (failures > 0) {
      failures--;
      return send(503, { error: 'unavailable' });
    }
    if (url.pathname !== '/usage') return send(404, { error: 'not found' });
    const start = Date.parse(url.searchParams.get('start') ?? '');
    const end = Date.parse(url.searchParams.get('end') ?? '');
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const inRange = state.records
      .filter((r) => Date.parse(r.occurred_at) >= start && Date.parse(r.occurred_at) < end)
      .sort((a, b) => a.occurred_at.localeCompare(b.occurred_at) || a.id.localeCompare(b.id));
    const page = inRange.slice(offset, offset + state.pageSize);
    const next = offset + state.pageSize < inRange.length ? String(offset + state.pageSize) : null;
    send(200, { data: page, next_cursor: next });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
