/**
 * A local Stripe API for tests: a real HTTP server on 127.0.0.1 that speaks Stripe's REST wire
 * format, driven through the official `stripe` SDK. Objects are cloned from Stripe's own fixtures
 * (test/fixtures/fixtures3.json, a copy of Stripe's, or FAKE_STRIPE_FIXTURES) with realistic ids, times and links.
 *
 * Usage:
 *   const fake = await startFakeStripe({ now: 1_763_700_000 });
 *   const stripe = fake.client();                        // new Stripe(key, { host, port, protocol: 'http' })
 *   fake.seed({ customers: 20, days: 90 });              // a consistent generated account
 *   const cus = fake.create('customer', { email: 'a@b.c' }); // or insert directly (no event)
 *   fake.emit('customer.created', cus);                  // add an event to GET /v1/events
 *   fake.failNext(2, { status: 429, retryAfter: 1 });     // fault injection (optionally by path regex)
 *   fake.rateLimit(20);                                   // 429 + Retry-After beyond 20 req/s
 *   fake.delay(50);                                       // slow every response by 50 ms
 *   fake.declineCustomer('cus_...');                      // confirmed payment intents fail (402 card_error)
 *   fake.requests                                         // every request: method, path, query, at (ms)
 *   await fake.close();
 *
 * Supported: GET list (limit, starting_after, ending_before, created[gt|gte|lt|lte], customer,
 * status, subscription, payment_intent, charge, type, types[]) with `object: "list"`, `has_more`,
 * `url`, newest first; GET retrieve; POST create / update (form-encoded, nested `a[b][0]=`);
 * Idempotency-Key replay (same key + same params -> same response; other params -> 400
 * idempotency_error); errors as `{ error: { type, code, message, param } }`; 401 without a key;
 * 429 with Retry-After. Resources: customers, products, prices, subscriptions, invoices,
 * payment_intents (+ /confirm), charges, refunds, disputes, coupons, events, checkout/sessions (+ /expire).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

// biome-ignore lint/suspicious/noExplicitAny: Stripe objects are open JSON.
export type StripeObject = Record<string, any> & { id: string; object: string; created: number };

const here = path.dirname(fileURLToPath(import.meta.url));

/** Stripe's fixtures (one example object per resource type). */
export function loadStripeFixtures(): Record<string, StripeObject> {
  const file = process.env.FAKE_STRIPE_FIXTURES ?? path.resolve(here, '../fixtures/fixtures3.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { resources: Record<string, StripeObject> }).resources;
}

const RESOURCES: Record<string, { type: string; prefix: string }> = {
  customers: { type: 'customer', prefix: 'cus' },
  products: { type: 'product', prefix: 'prod' },
  prices: { type: 'price', prefix: 'price' },
  subscriptions: { type: 'subscription', prefix: 'sub' },
  invoices: { type: 'invoice', prefix: 'in' },
  payment_intents: { type: 'payment_intent', prefix: 'pi' },
  charges: { type: 'charge', prefix: 'ch' },
  refunds: { type: 'refund', prefix: 're' },
  disputes: { type: 'dispute', prefix: 'dp' },
  coupons: { type: 'coupon', prefix: 'co' },
  events: { type: 'event', prefix: 'evt' },
  'checkout/sessions': { type: 'checkout.session', prefix: 'cs_test' },
};
const PATH_OF_TYPE = Object.fromEntries(Object.entries(RESOURCES).map(([p, r]) => [r.type, p]));

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  idempotencyKey: string | undefined;
  at: number;
  status: number;
}

export interface Fault {
  status: number;
  retryAfter?: number;
  type?: string;
  code?: string;
  message?: string;
  /** Only requests whose path matches. */
  path?: RegExp;
}

export interface FakeStripe {
  url: string;
  host: string;
  port: number;
  /** Options for `new Stripe(key, options)`. */
  config: { host: string; port: number; protocol: 'http' };
  client(options?: Partial<ConstructorParameters<typeof Stripe>[1]>): Stripe;
  /** Seconds since the epoch the server treats as now (default: the real clock). */
  now(): number;
  setNow(seconds: number): void;
  /** Builds an object from its fixture and stores it (no event). */
  create(type: string, fields?: Record<string, unknown>): StripeObject;
  /** Stores an object as is (replacing one with the same id). */
  put(object: StripeObject): StripeObject;
  get(type: string, id: string): StripeObject | undefined;
  all(type: string): StripeObject[];
  remove(type: string, id: string): void;
  /** Records an event (`data.object` is a copy of `object`) for GET /v1/events. */
  emit(type: string, object: StripeObject, created?: number): StripeObject;
  /** A consistent generated account: products, prices, customers, subscriptions, invoices, payments, refunds, and their events. */
  seed(options?: SeedOptions): SeedSummary;
  failNext(count: number, fault: Fault): void;
  rateLimit(perSecond: number | null): void;
  /** Delays every response by ms (to catch a client mid-run). */
  delay(ms: number): void;
  declineCustomer(customerId: string): void;
  acceptCustomer(customerId: string): void;
  /** Completes an open checkout session as a paid one (creates its payment intent and events). */
  completeCheckout(id: string): StripeObject;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface SeedOptions {
  customers?: number;
  days?: number;
  /** Deterministic generator seed. */
  seed?: number;
  currency?: string;
  /** Emit the events that would have been sent for the generated history. */
  events?: boolean;
}

export interface SeedSummary {
  [type: string]: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Parses `a[b][0][c]=v` form bodies and query strings into nested objects and arrays. */
export function parseForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.replace(/\]/g, '').split('[');
    // biome-ignore lint/suspicious/noExplicitAny: building untyped JSON.
    let node: any = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const key = part === '' && Array.isArray(node) ? node.length : part;
      if (last) {
        node[key] = value;
        return;
      }
      if (node[key] === undefined) node[key] = /^\d*$/.test(parts[i + 1] ?? '') ? [] : {};
      node = node[key];
    });
  }
  return root;
}

const clone = <T>(v: T): T => structuredClone(v);
const int = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));

function stripeError(status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  return { status, body: { error: { type, message, ...extra } } };
}

export async function startFakeStripe(
  options: { now?: number; fixtures?: Record<string, StripeObject> } = {},
): Promise<FakeStripe> {
  const fixtures = options.fixtures ?? loadStripeFixtures();
  const store = new Map<string, Map<string, StripeObject>>();
  const order = new Map<string, number>();
  let sequence = 0;
  let fixedNow = options.now;
  const now = () => fixedNow ?? Math.floor(Date.now() / 1000);
  const faults: (Fault & { remaining: number })[] = [];
  let limitPerSecond: number | null = null;
  let delayMs = 0;
  const window: number[] = [];
  const declined = new Set<string>();
  const idempotent = new Map<string, { hash: string; status: number; body: unknown }>();
  const requests: RecordedRequest[] = [];
  let base = '';

  const bucket = (type: string) => {
    let b = store.get(type);
    if (!b) {
      b = new Map();
      store.set(type, b);
    }
    return b;
  };
  const newId = (type: string) => {
    const extra: Record<string, string> = { subscription_item: 'si', line_item: 'il' };
    const prefix =
      Object.values(RESOURCES).find((r) => r.type === type)?.prefix ??
      extra[type] ??
      type.replace(/\W/g, '_');
    return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`;
  };
  const put = (object: StripeObject) => {
    bucket(object.object).set(object.id, object);
    if (!order.has(object.id)) order.set(object.id, sequence++);
    return object;
  };
  const template = (type: string): StripeObject => {
    const t = fixtures[type];
    if (!t) throw new Error(`no Stripe fixture for ${type}`);
    return clone(t);
  };

  const create = (type: string, fields: Record<string, unknown> = {}): StripeObject => {
    const o = template(type);
    o.id = (fields.id as string | undefined) ?? newId(type);
    o.created = (fields.created as number | undefined) ?? now();
    o.livemode = false;
    if ('metadata' in o) o.metadata = {};
    switch (type) {
      case 'customer':
        Object.assign(o, {
          email: null,
          name: null,
          description: null,
          discount: null,
          balance: 0,
          delinquent: false,
          test_clock: null,
        });
        break;
      case 'product':
        Object.assign(o, { name: 'Plan', active: true, default_price: null });
        break;
      case 'price':
        Object.assign(o, {
          active: true,
          lookup_key: null,
          nickname: null,
          transform_quantity: null,
          custom_unit_amount: null,
          tiers_mode: null,
        });
        break;
      case 'payment_intent':
        Object.assign(o, {
          customer: null,
          invoice: null,
          canceled_at: null,
          cancellation_reason: null,
          latest_charge: null,
          last_payment_error: null,
          next_action: null,
          description: null,
        });
        break;
      case 'charge':
        Object.assign(o, {
          refunded: false,
          amount_refunded: 0,
          disputed: false,
          failure_code: null,
          failure_message: null,
          invoice: null,
          refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${o.id}/refunds` },
        });
        break;
      case 'refund':
        Object.assign(o, { status: 'succeeded', reason: null, payment_intent: null });
        break;
      case 'subscription':
        Object.assign(o, {
          cancel_at: null,
          cancel_at_period_end: false,
          canceled_at: null,
          ended_at: null,
          discounts: [],
          pause_collection: null,
          trial_end: null,
          trial_start: null,
          schedule: null,
          test_clock: null,
          latest_invoice: null,
          pending_update: null,
          cancellation_details: { comment: null, feedback: null, reason: null },
        });
        break;
      case 'invoice':
        Object.assign(o, {
          discounts: [],
          total_discount_amounts: [],
          subscription: null,
          parent: null,
          last_finalization_error: null,
          test_clock: null,
          from_invoice: null,
          latest_revision: null,
        });
        break;
      case 'checkout.session':
        Object.assign(o, {
          invoice: null,
          subscription: null,
          payment_intent: null,
          customer_details: null,
          discounts: [],
          recovered_from: null,
          payment_link: null,
          client_reference_id: null,
        });
        break;
    }
    Object.assign(o, fields);
    return put(o);
  };

  const emit = (type: string, object: StripeObject, created = now()): StripeObject => {
    const e = template('event');
    Object.assign(e, {
      id: newId('event'),
      object: 'event',
      type,
      created,
      api_version: '2025-10-29.clover',
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object) },
    });
    return put(e);
  };

  const listOf = (type: string) =>
    [...bucket(type).values()].sort(
      (a, b) => b.created - a.created || (order.get(b.id) ?? 0) - (order.get(a.id) ?? 0),
    );

  function list(type: string, resourcePath: string, q: Record<string, unknown>) {
    const limit = Math.min(100, Math.max(1, int(q.limit) ?? 10));
    let items = listOf(type);
    const created = q.created;
    if (created !== undefined) {
      if (typeof created === 'object' && created !== null) {
        const c = created as Record<string, string>;
        items = items.filter(
          (o) =>
            (c.gt === undefined || o.created > Number(c.gt)) &&
            (c.gte === undefined || o.created >= Number(c.gte)) &&
            (c.lt === undefined || o.created < Number(c.lt)) &&
            (c.lte === undefined || o.created <= Number(c.lte)),
        );
      } else items = items.filter((o) => o.created === Number(created));
    }
    for (const field of [
      'customer',
      'subscription',
      'payment_intent',
      'charge',
      'price',
      'product',
    ] as const) {
      if (typeof q[field] === 'string')
        items = items.filter((o) => o[field] === q[field] || o[field]?.id === q[field]);
    }
    if (typeof q.type === 'string') {
      const t = q.type as string;
      items = items.filter((o) =>
        t.endsWith('.*') ? String(o.type).startsWith(t.slice(0, -1)) : o.type === t,
      );
    }
    if (Array.isArray(q.types)) items = items.filter((o) => (q.types as string[]).includes(o.type));
    if (typeof q.status === 'string') {
      if (q.status !== 'all') items = items.filter((o) => o.status === q.status);
    } else if (type === 'subscription') items = items.filter((o) => o.status !== 'canceled');
    if (typeof q.starting_after === 'string') {
      const i = items.findIndex((o) => o.id === q.starting_after);
      if (i < 0)
        return stripeError(400, 'invalid_request_error', `Invalid starting_after id: ${q.starting_after}`, {
          param: 'starting_after',
        });
      items = items.slice(i + 1);
      return {
        status: 200,
        body: {
          object: 'list',
          url: `/v1/${resourcePath}`,
          has_more: items.length > limit,
          data: items.slice(0, limit),
        },
      };
    }
    if (typeof q.ending_before === 'string') {
      const i = items.findIndex((o) => o.id === q.ending_before);
      if (i < 0)
        return stripeError(400, 'invalid_request_error', `Invalid ending_before id: ${q.ending_before}`, {
          param: 'ending_before',
        });
      const before = items.slice(0, i);
      return {
        status: 200,
        body: {
          object: 'list',
          url: `/v1/${resourcePath}`,
          has_more: before.length > limit,
          data: before.slice(-limit),
        },
      };
    }
    return {
      status: 200,
      body: {
        object: 'list',
        url: `/v1/${resourcePath}`,
        has_more: items.length > limit,
        data: items.slice(0, limit),
      },
    };
  }

  const missing = (type: string, id: string) =>
    stripeError(
      404,
      'invalid_request_error',
      `No such ${type.replace('checkout.session', 'checkout session')}: '${id}'`,
      { code: 'resource_missing', param: 'id' },
    );

  const metadataOf = (p: Record<string, unknown>) =>
    p.metadata && typeof p.metadata === 'object' ? (p.metadata as Record<string, string>) : {};

  function succeedPaymentIntent(pi: StripeObject) {
    const charge = create('charge', {
      amount: pi.amount,
      amount_captured: pi.amount,
      currency: pi.currency,
      customer: pi.customer,
      payment_intent: pi.id,
      status: 'succeeded',
      paid: true,
      captured: true,
      metadata: clone(pi.metadata),
    });
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: charge.id });
    emit('charge.succeeded', charge);
    emit('payment_intent.succeeded', pi);
    return charge;
  }

  function createPaymentIntent(p: Record<string, unknown>) {
    const amount = int(p.amount);
    if (!amount || amount <= 0)
      return stripeError(400, 'invalid_request_error', 'Missing required param: amount.', {
        code: 'parameter_missing',
        param: 'amount',
      });
    if (typeof p.currency !== 'string')
      return stripeError(400, 'invalid_request_error', 'Missing required param: currency.', {
        code: 'parameter_missing',
        param: 'currency',
      });
    const pi = create('payment_intent', {
      amount,
      amount_received: 0,
      currency: p.currency,
      customer: p.customer ?? null,
      description: p.description ?? null,
      metadata: metadataOf(p),
      payment_method: p.payment_method ?? null,
      status: 'requires_payment_method',
    });
    emit('payment_intent.created', pi);
    if (p.confirm === 'true') {
      if (
        (typeof p.customer === 'string' && declined.has(p.customer)) ||
        p.payment_method === 'pm_card_chargeDeclined'
      ) {
        const error = {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
        };
        Object.assign(pi, { status: 'requires_payment_method', last_payment_error: error });
        emit('payment_intent.payment_failed', pi);
        return stripeError(402, 'card_error', 'Your card was declined.', {
          code: 'card_declined',
          decline_code: 'generic_decline',
          payment_intent: clone(pi),
        });
      }
      succeedPaymentIntent(pi);
    }
    return { status: 200, body: pi };
  }

  function createCheckoutSession(p: Record<string, unknown>) {
    const lines = Array.isArray(p.line_items) ? (p.line_items as Record<string, unknown>[]) : [];
    if (!p.success_url && p.ui_mode !== 'embedded')
      return stripeError(400, 'invalid_request_error', 'Missing required param: success_url.', {
        code: 'parameter_missing',
        param: 'success_url',
      });
    if (lines.length === 0 && p.mode !== 'setup')
      return stripeError(400, 'invalid_request_error', 'Missing required param: line_items.', {
        code: 'parameter_missing',
        param: 'line_items',
      });
    let total = 0;
    let currency: string | null = null;
    for (const l of lines) {
      const qty = int(l.quantity) ?? 1;
      if (typeof l.price === 'string') {
        const price = bucket('price').get(l.price);
        if (!price) return missing('price', l.price);
        total += (price.unit_amount ?? 0) * qty;
        currency = price.currency;
      } else if (l.price_data && typeof l.price_data === 'object') {
        const pd = l.price_data as Record<string, unknown>;
        total += (int(pd.unit_amount) ?? 0) * qty;
        currency = String(pd.currency);
      }
    }
    const id = newId('checkout.session');
    const s = create('checkout.session', {
      id,
      mode: p.mode ?? 'payment',
      customer: p.customer ?? null,
      metadata: metadataOf(p),
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: total,
      amount_total: total,
      currency,
      success_url: p.success_url ?? null,
      cancel_url: p.cancel_url ?? null,
      url: `${base}/c/pay/${id}`,
      expires_at: now() + 24 * 3600,
      payment_intent: null,
      line_items_requested: lines,
    });
    return { status: 200, body: s };
  }

  function completeCheckout(id: string): StripeObject {
    const s = bucket('checkout.session').get(id);
    if (!s) throw new Error(`no checkout session ${id}`);
    const pi = create('payment_intent', {
      amount: s.amount_total,
      currency: s.currency,
      customer: s.customer,
      metadata: clone(s.metadata),
      status: 'requires_payment_method',
    });
    succeedPaymentIntent(pi);
    Object.assign(s, { status: 'complete', payment_status: 'paid', payment_intent: pi.id });
    emit('checkout.session.completed', s);
    return s;
  }

  function createRefund(p: Record<string, unknown>) {
    let charge: StripeObject | undefined;
    if (typeof p.charge === 'string') charge = bucket('charge').get(p.charge);
    else if (typeof p.payment_intent === 'string') {
      const pi = bucket('payment_intent').get(p.payment_intent);
      charge = pi?.latest_charge ? bucket('charge').get(pi.latest_charge) : undefined;
    }
    if (!charge)
      return stripeError(400, 'invalid_request_error', 'Missing or unknown charge / payment_intent.', {
        code: 'resource_missing',
        param: 'charge',
      });
    const amount = int(p.amount) ?? charge.amount - charge.amount_refunded;
    if (amount <= 0 || amount > charge.amount - charge.amount_refunded)
      return stripeError(
        400,
        'invalid_request_error',
        `Refund amount (${amount}) is greater than unrefunded amount on charge`,
        { code: 'amount_too_large', param: 'amount' },
      );
    const r = create('refund', {
      amount,
      charge: charge.id,
      currency: charge.currency,
      payment_intent: charge.payment_intent,
      metadata: metadataOf(p),
      reason: p.reason ?? null,
      customer: charge.customer,
    });
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    emit('charge.refunded', charge);
    emit('refund.created', r);
    return { status: 200, body: r };
  }

  function handle(
    method: string,
    route: string,
    q: Record<string, unknown>,
    p: Record<string, unknown>,
  ): { status: number; body: unknown } {
    const m = /^\/v1\/(checkout\/sessions|[a-z_]+)(?:\/([A-Za-z0-9_]+))?(?:\/([a-z_]+))?$/.exec(route);
    const resource = m ? RESOURCES[m[1]!] : undefined;
    if (!m || !resource)
      return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${route}).`);
    const [, resourcePath, id, action] = m;
    const type = resource.type;
    if (method === 'GET' && !id) return list(type, resourcePath!, q);
    if (method === 'GET' && id && !action) {
      const o = bucket(type).get(id);
      return o ? { status: 200, body: o } : missing(type, id);
    }
    if (method === 'POST' && !id) {
      if (type === 'payment_intent') return createPaymentIntent(p);
      if (type === 'checkout.session') return createCheckoutSession(p);
      if (type === 'refund') return createRefund(p);
      if (type === 'event')
        return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${route}).`);
      const o = create(type, { ...p, metadata: metadataOf(p) });
      emit(`${type}.created`, o);
      return { status: 200, body: o };
    }
    if (method === 'POST' && id) {
      const o = bucket(type).get(id);
      if (!o) return missing(type, id);
      if (action === 'expire' && type === 'checkout.session') {
        if (o.status !== 'open')
          return stripeError(
            400,
            'invalid_request_error',
            `Only Checkout Sessions with a status in ["open"] can be expired.`,
            { code: 'checkout_session_not_open' },
          );
        o.status = 'expired';
        emit('checkout.session.expired', o);
        return { status: 200, body: o };
      }
      if (action === 'confirm' && type === 'payment_intent') {
        if (o.status === 'succeeded')
          return stripeError(400, 'invalid_request_error', 'This PaymentIntent has already succeeded.', {
            code: 'payment_intent_unexpected_state',
          });
        if (declined.has(o.customer) || p.payment_method === 'pm_card_chargeDeclined') {
          const error = {
            type: 'card_error',
            code: 'card_declined',
            decline_code: 'generic_decline',
            message: 'Your card was declined.',
          };
          Object.assign(o, { status: 'requires_payment_method', last_payment_error: error });
          emit('payment_intent.payment_failed', o);
          return stripeError(402, 'card_error', 'Your card was declined.', {
            code: 'card_declined',
            decline_code: 'generic_decline',
            payment_intent: clone(o),
          });
        }
        succeedPaymentIntent(o);
        return { status: 200, body: o };
      }
      if (action)
        return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${route}).`);
      const { metadata, ...rest } = p;
      Object.assign(o, rest, { metadata: { ...o.metadata, ...metadataOf({ metadata }) } });
      emit(`${type}.updated`, o);
      return { status: 200, body: o };
    }
    if (method === 'DELETE' && id) {
      const o = bucket(type).get(id);
      if (!o) return missing(type, id);
      bucket(type).delete(id);
      return { status: 200, body: { id, object: type, deleted: true } };
    }
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${route}).`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => setTimeout(respond, delayMs));
    const respond = () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      const query = parseForm(url.search.slice(1));
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const params = parseForm(rawBody);
      const key = req.headers['idempotency-key'] as string | undefined;
      const record: RecordedRequest = {
        method,
        path: url.pathname,
        query,
        idempotencyKey: key,
        at: Date.now(),
        status: 0,
      };
      requests.push(record);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        res.writeHead(status, {
          'content-type': 'application/json',
          'request-id': `req_${randomBytes(7).toString('hex')}`,
          ...headers,
        });
        res.end(JSON.stringify(body));
      };
      const auth = req.headers.authorization ?? '';
      if (!/^Bearer (sk|rk)_(test|live)_\S+$/.test(auth)) {
        send(401, {
          error: {
            type: 'invalid_request_error',
            message: 'Invalid API Key provided. You did not provide an API key.',
          },
        });
        return;
      }
      const fault = faults.find((f) => f.remaining > 0 && (!f.path || f.path.test(url.pathname)));
      if (fault) {
        fault.remaining--;
        const type = fault.type ?? (fault.status === 429 ? 'invalid_request_error' : 'api_error');
        const code = fault.code ?? (fault.status === 429 ? 'rate_limit' : undefined);
        send(
          fault.status,
          {
            error: {
              type,
              message:
                fault.message ??
                (fault.status === 429
                  ? 'Too many requests hit the API too quickly.'
                  : 'An error occurred with our connection to Stripe.'),
              ...(code ? { code } : {}),
            },
          },
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
        );
        return;
      }
      if (limitPerSecond !== null) {
        const t = Date.now();
        while (window.length && window[0]! <= t - 1000) window.shift();
        if (window.length >= limitPerSecond) {
          send(
            429,
            {
              error: {
                type: 'invalid_request_error',
                code: 'rate_limit',
                message: 'Too many requests hit the API too quickly.',
              },
            },
            { 'retry-after': '1' },
          );
          return;
        }
        window.push(t);
      }
      const idemKey = key && method === 'POST' ? `${method} ${url.pathname} ${key}` : undefined;
      const hash = createHash('sha256').update(rawBody).digest('hex');
      if (idemKey) {
        const seen = idempotent.get(idemKey);
        if (seen) {
          if (seen.hash !== hash) {
            send(400, {
              error: {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            });
          } else send(seen.status, seen.body, { 'idempotent-replayed': 'true' });
          return;
        }
      }
      let result: { status: number; body: unknown };
      try {
        result = handle(method, url.pathname, query, params);
      } catch (error) {
        result = stripeError(500, 'api_error', (error as Error).message);
      }
      if (idemKey && result.status !== 429)
        idempotent.set(idemKey, { hash, status: result.status, body: clone(result.body) });
      send(result.status, result.body);
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  function seed(opts: SeedOptions = {}): SeedSummary {
    const random = prng(opts.seed ?? 1);
    const days = opts.days ?? 90;
    const currency = opts.currency ?? 'usd';
    const t0 = now() - days * 86400;
    const at = () => t0 + Math.floor(random() * days * 86400);
    const withEvents = opts.events ?? true;
    const ev = (type: string, o: StripeObject, created = o.created) => withEvents && emit(type, o, created);
    const products = ['Starter', 'Pro', 'Business'].map((name) => {
      const p = create('product', { name, created: t0 - 86400 });
      ev('product.created', p);
      return p;
    });
    const prices = products.flatMap((p, i) =>
      (['month', 'year'] as const).map((interval) => {
        const monthly = [1900, 4900, 9900][i]!;
        const pr = create('price', {
          product: p.id,
          currency,
          unit_amount: interval === 'month' ? monthly : monthly * 10,
          unit_amount_decimal: String(interval === 'month' ? monthly : monthly * 10),
          type: 'recurring',
          billing_scheme: 'per_unit',
          recurring: {
            interval,
            interval_count: 1,
            usage_type: 'licensed',
            meter: null,
            trial_period_days: null,
          },
          created: t0 - 86400,
        });
        ev('price.created', pr);
        return pr;
      }),
    );
    let subscriptions = 0;
    let invoices = 0;
    let payments = 0;
    let refunds = 0;
    const customers = opts.customers ?? 20;
    for (let c = 0; c < customers; c++) {
      const created = at();
      const customer = create('customer', {
        email: `customer${c}@example.com`,
        name: `Customer ${c}`,
        created,
        currency,
      });
      ev('customer.created', customer);
      if (random() < 0.2) continue;
      const price = prices[Math.floor(random() * prices.length)]!;
      const interval = price.recurring.interval as 'month' | 'year';
      const subId = newId('subscription');
      const period = interval === 'month' ? 30 * 86400 : 365 * 86400;
      const canceled = random() < 0.15;
      let start = created + 60;
      const item = clone(fixtures.subscription!.items.data[0]) as StripeObject;
      Object.assign(item, {
        id: newId('subscription_item'),
        subscription: subId,
        price: clone(price),
        quantity: 1,
        created: start,
        current_period_start: start,
        current_period_end: start + period,
        metadata: {},
        discounts: [],
      });
      delete item.plan;
      const sub = create('subscription', {
        id: subId,
        customer: customer.id,
        currency,
        status: 'active',
        created: start,
        start_date: start,
        billing_cycle_anchor: start,
        items: {
          object: 'list',
          data: [item],
          has_more: false,
          total_count: 1,
          url: `/v1/subscription_items?subscription=${subId}`,
        },
      });
      subscriptions++;
      ev('customer.subscription.created', sub);
      while (start < now()) {
        const inv = create('invoice', {
          customer: customer.id,
          currency,
          status: 'paid',
          billing_reason: start === sub.created ? 'subscription_create' : 'subscription_cycle',
          amount_due: price.unit_amount,
          amount_paid: price.unit_amount,
          amount_remaining: 0,
          subtotal: price.unit_amount,
          total: price.unit_amount,
          period_start: start,
          period_end: start + period,
          created: start,
          status_transitions: {
            finalized_at: start,
            paid_at: start + 5,
            voided_at: null,
            marked_uncollectible_at: null,
          },
          parent: {
            type: 'subscription_details',
            quote_details: null,
            subscription_details: { subscription: subId, metadata: {} },
          },
          lines: {
            object: 'list',
            has_more: false,
            url: '/v1/invoices/lines',
            data: [
              {
                id: newId('line_item'),
                object: 'line_item',
                amount: price.unit_amount,
                currency,
                quantity: 1,
                period: { start, end: start + period },
                pricing: {
                  type: 'price_details',
                  price_details: { price: price.id, product: price.product },
                  unit_amount_decimal: String(price.unit_amount),
                },
                parent: {
                  type: 'subscription_item_details',
                  subscription_item_details: {
                    subscription: subId,
                    subscription_item: item.id,
                    proration: false,
                  },
                },
                metadata: {},
              },
            ],
          },
        });
        invoices++;
        ev('invoice.finalized', inv, start);
        const pi = create('payment_intent', {
          amount: price.unit_amount,
          amount_received: price.unit_amount,
          currency,
          customer: customer.id,
          status: 'succeeded',
          created: start + 5,
        });
        const ch = create('charge', {
          amount: price.unit_amount,
          amount_captured: price.unit_amount,
          currency,
          customer: customer.id,
          payment_intent: pi.id,
          status: 'succeeded',
          paid: true,
          captured: true,
          created: start + 5,
        });
        pi.latest_charge = ch.id;
        payments++;
        ev('payment_intent.succeeded', pi, start + 5);
        ev('invoice.paid', inv, start + 5);
        if (random() < 0.05) {
          const r = create('refund', {
            amount: price.unit_amount,
            charge: ch.id,
            payment_intent: pi.id,
            currency,
            created: start + 86400,
            customer: customer.id,
          });
          ch.amount_refunded = price.unit_amount;
          ch.refunded = true;
          refunds++;
          ev('charge.refunded', ch, r.created);
        }
        start += period;
        item.current_period_start = start - period;
        item.current_period_end = start;
        if (canceled && random() < 0.5) {
          Object.assign(sub, { status: 'canceled', canceled_at: start, ended_at: start });
          ev('customer.subscription.deleted', sub, Math.min(start, now()));
          break;
        }
      }
    }
    return {
      product: products.length,
      price: prices.length,
      customer: customers,
      subscription: subscriptions,
      invoice: invoices,
      payment_intent: payments,
      charge: payments,
      refund: refunds,
    };
  }

  const fake: FakeStripe = {
    url: base,
    host: '127.0.0.1',
    port,
    config: { host: '127.0.0.1', port, protocol: 'http' },
    client(extra = {}) {
      return new Stripe('sk_test_fake', {
        host: '127.0.0.1',
        port,
        protocol: 'http',
        maxNetworkRetries: 0,
        telemetry: false,
        ...extra,
      });
    },
    now,
    setNow(seconds) {
      fixedNow = seconds;
    },
    create,
    put,
    get: (type, id) => bucket(type).get(id),
    all: (type) => listOf(type),
    remove: (type, id) => void bucket(type).delete(id),
    emit,
    seed,
    failNext(count, fault) {
      faults.push({ ...fault, remaining: count });
    },
    delay(ms) {
      delayMs = ms;
    },
    rateLimit(perSecond) {
      limitPerSecond = perSecond;
    },
    declineCustomer(id) {
      declined.add(id);
    },
    acceptCustomer(id) {
      declined.delete(id);
    },
    completeCheckout,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

export { PATH_OF_TYPE as stripeResourcePaths };
