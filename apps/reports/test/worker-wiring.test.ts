import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEvent, parseEvent, receiveEvent } from '@org/billing-ledger';
import { customerObject, eventFactory } from '@org/billing-ledger/testing';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.ts';

/**
 * `org-reports worker` runs the same ledger runtime as the webhook app (@org/wiring): with
 * LEDGER_REFETCH=always it re-fetches each event's object from Stripe (STRIPE_API_BASE here, a
 * local server speaking Stripe's wire format) instead of trusting the payload.
 */
const T = 1_767_225_600;
const f = eventFactory({ prefix: 'wire' });
const events = [1, 2, 3].map((n) =>
  f.event('customer.created', T + n, customerObject(`cus_wire${n}`, `old${n}@example.test`, `Old ${n}`, T)),
);
const fetched: string[] = [];
const stripe = createServer((req, res) => {
  const id = req.url?.split('/').at(-1) ?? '';
  fetched.push(`${req.headers.authorization} ${req.url}`);
  const n = id.replace('cus_wire', '');
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_wire' });
  res.end(JSON.stringify(customerObject(id, `new${n}@example.test`, `New ${n}`, T)));
});
let db: TestDatabase;
let base: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => stripe.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(stripe.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  for (const e of events) {
    const parsed = parseEvent(e);
    if (!parsed.ok) throw parsed.error;
    await receiveEvent(db.pool, parsed.value, JSON.stringify(e));
  }
});
afterAll(async () => {
  await db?.drop();
  await new Promise<void>((resolve) => stripe.close(() => resolve()));
});

describe('org-reports worker with LEDGER_REFETCH=always', () => {
  it('re-fetches every object from Stripe, like the webhook app', async () => {
    const r = await runCli(['worker', '--exit-when-drained', '--json'], {
      DATABASE_URL: db.url,
      STRIPE_SECRET_KEY: 'sk_test_wiring',
      STRIPE_API_BASE: base,
      LEDGER_REFETCH: 'always',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ processed: 3, stats: { pending: 0, dead: 0 } });
    expect(fetched.sort()).toEqual([1, 2, 3].map((n) => `Bearer sk_test_wiring /v1/customers/cus_wire${n}`));
    const { rows } = await db.pool.query<{ email: string }>(
      'select email from public.stripe_customers order by id',
    );
    expect(rows.map((r) => r.email)).toEqual(['new1@example.test', 'new2@example.test', 'new3@example.test']);
    expect((await getEvent(db.pool, events[0]!.id))?.status).toBe('processed');
  });
});
