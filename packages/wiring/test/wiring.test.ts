import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingSchedules,
  DEFAULT_WORKER_BATCH_SIZE,
  type LedgerSettings,
  stripeApi,
  stripeClient,
  workerOptions,
} from '../src/index.ts';

const settings: LedgerSettings = {
  LEDGER_WORKER_CONCURRENCY: 2,
  LEDGER_RETRY_LIMIT: 5,
  LEDGER_RETRY_DELAY_SECONDS: 2,
  LEDGER_REFETCH: 'never',
  USAGE_PROVIDER_NAME: 'usage',
  BILLING_RECONCILE_CRON: '30 2 * * *',
  BILLING_WEBHOOK_RECOVERY_CRON: 'off',
  BILLING_AUDIT_CRON: 'OFF',
};

// A local server standing in for Stripe's API: answers customer retrievals, records requests.
const requests: IncomingMessage[] = [];
const server = createServer((req, res) => {
  requests.push(req);
  const id = req.url?.split('/').at(-1);
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_wiring' });
  res.end(JSON.stringify({ id, object: 'customer', email: 'w@example.test', created: 1_767_225_600 }));
});
let base: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the ledger settings both apps build their runtime from', () => {
  it('default to 25 events per batch, and take LEDGER_WORKER_BATCH_SIZE and the concurrency', () => {
    expect(workerOptions(settings, stripeClient(settings))).toEqual({
      concurrency: 2,
      batchSize: DEFAULT_WORKER_BATCH_SIZE,
    });
    expect(DEFAULT_WORKER_BATCH_SIZE).toBe(25);
    expect(
      workerOptions(
        { ...settings, LEDGER_WORKER_BATCH_SIZE: 100, LEDGER_WORKER_CONCURRENCY: 4 },
        stripeClient(settings),
      ),
    ).toEqual({ concurrency: 4, batchSize: 100 });
  });

  it('re-fetch objects from Stripe only with LEDGER_REFETCH=always and a key', () => {
    const always = { ...settings, LEDGER_REFETCH: 'always' as const };
    expect(workerOptions(always, stripeClient(always)).fetchObject).toBeUndefined();
    const keyed = { ...always, STRIPE_SECRET_KEY: 'sk_test_wiring' };
    expect(typeof workerOptions(keyed, stripeClient(keyed)).fetchObject).toBe('function');
  });

  it("turn a cron of 'off' (any case) into no schedule", () => {
    expect(billingSchedules(settings)).toEqual({
      reconcileUsage: '30 2 * * *',
      recoverWebhooks: null,
      revenueAudit: null,
    });
  });

  it('build one Stripe client that talks to STRIPE_API_BASE with the key, and an API adapter only with a key', async () => {
    const keyed = { STRIPE_SECRET_KEY: 'sk_test_wiring', STRIPE_API_BASE: base };
    const customer = await stripeClient(keyed).customers.retrieve('cus_wiring');
    expect(customer.id).toBe('cus_wiring');
    const last = requests.at(-1)!;
    expect(last.url).toBe('/v1/customers/cus_wiring');
    expect(last.headers.authorization).toBe('Bearer sk_test_wiring');
    expect(stripeApi(keyed)).not.toBeNull();
    expect(stripeApi({ STRIPE_API_BASE: base })).toBeNull();
  });
});
