import net from 'node:net';
import { createPool } from '@org/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './support/server.ts';

// The app over a pool whose database does not answer (nothing listens on its port).
let app: Awaited<ReturnType<typeof startApp>>;
let pool: ReturnType<typeof createPool>;

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
  pool = createPool(`postgres://postgres@127.0.0.1:${port}/postgres`, 2);
  app = await startApp(pool);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('POST /v1/events while the database is unreachable', () => {
  it('answers 503 with retry-after (the tracker retries), not 500', async () => {
    const res = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer mk_any' },
      body: JSON.stringify({ events: [] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({
      error: {
        code: 'database_unavailable',
        message: 'the events could not be stored now; retry with the same ids',
      },
    });
  });
});
