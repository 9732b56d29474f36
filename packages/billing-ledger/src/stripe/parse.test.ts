import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvent, parseStripeObject, subscriptionSnapshot } from './parse.ts';
import { mirroredObjects, subscriptionSchema } from './schemas.ts';

// Stripe's own API fixtures (stripe/openapi, MIT), copied into test/fixtures.
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = JSON.parse(readFileSync(path.join(here, '../../test/fixtures/fixtures3.json'), 'utf8'))
  .resources as Record<string, Record<string, unknown>>;

describe('Stripe fixtures', () => {
  it('every mirrored resource in fixtures3.json parses', () => {
    for (const kind of mirroredObjects) {
      const r = parseStripeObject(fixtures[kind]);
      expect(r.ok ? 'ok' : r.error.message, kind).toBe('ok');
    }
  });

  it('every other resource is rejected with a clear error, never a crash', () => {
    for (const [name, resource] of Object.entries(fixtures)) {
      const r = parseStripeObject(resource);
      if (r.ok) continue;
      expect(['unsupported_object', 'invalid_payload'], name).toContain(r.error.code);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
  });

  it('the event fixture parses as an envelope', () => {
    const r = parseEvent(fixtures.event);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.type).toBe('plan.created');
  });

  it('malformed envelopes give invalid_payload', () => {
    for (const bad of [
      null,
      42,
      'x',
      {},
      { id: 'nope', object: 'event' },
      { ...fixtures.event, created: 'yesterday' },
    ]) {
      const r = parseEvent(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid_payload');
    }
  });

  it('handles both subscription shapes: period on the subscription (old) or on items (2025+)', () => {
    const newShape = subscriptionSchema.parse(fixtures.subscription);
    const items = (fixtures.subscription!.items as { data: Record<string, unknown>[] }).data;
    const withItemPeriods = subscriptionSchema.parse({
      ...fixtures.subscription,
      items: {
        data: items.map((i) => ({
          ...i,
          current_period_start: 1_700_000_000,
          current_period_end: 1_702_592_000,
        })),
      },
    });
    expect(subscriptionSnapshot(withItemPeriods).currentPeriodEnd).toBe(1_702_592_000);
    const oldShape = subscriptionSchema.parse({
      ...fixtures.subscription,
      current_period_start: 1_600_000_000,
      current_period_end: 1_602_592_000,
    });
    expect(subscriptionSnapshot(oldShape).currentPeriodEnd).toBe(1_602_592_000);
    expect(subscriptionSnapshot(newShape).items[0]?.interval).toBe('month');
  });

  it('resources with missing required fields are rejected, not thrown', () => {
    const r = parseStripeObject({ ...fixtures.subscription, customer: undefined, status: 'weird' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/subscription failed validation/);
  });
});
