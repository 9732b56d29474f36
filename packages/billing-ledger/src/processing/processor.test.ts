import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../stripe/parse.ts';
import { customerObject, eventFactory } from '../testing/index.ts';
import { inboxEnvelope } from './processor.ts';

const f = eventFactory({ prefix: 'env' });
const base = () =>
  f.event(
    'customer.updated',
    1_767_225_600,
    customerObject('cus_env', 'e@example.test', 'E', 1_767_225_600),
    {
      email: 'old@example.test',
    },
  ) as unknown as Record<string, unknown>;

// Values a JSON payload can hold in a field, valid or not.
const jsonValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 60, -0, 1.5),
  fc.string(),
  fc.constantFrom('evt_x', 'evt_', 'event', 'ev_1', ''),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

describe('inboxEnvelope', () => {
  it('accepts exactly what parseEvent accepts, with the same envelope fields', () => {
    const fields = ['id', 'object', 'type', 'created', 'api_version', 'livemode', 'data'] as const;
    const dataFields = ['object', 'previous_attributes'] as const;
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...fields), jsonValue, { maxKeys: 3 }),
        fc.dictionary(fc.constantFrom(...dataFields), jsonValue, { maxKeys: 2 }),
        fc.boolean(),
        (top, data, replaceData) => {
          const payload = base();
          const d = { ...(payload.data as Record<string, unknown>) };
          for (const [k, v] of Object.entries(data)) d[k] = v;
          payload.data = replaceData ? d : payload.data;
          for (const [k, v] of Object.entries(top)) payload[k] = v;
          const fast = inboxEnvelope(payload);
          const zod = parseEvent(payload);
          expect(fast.ok).toBe(zod.ok);
          if (fast.ok && zod.ok) {
            for (const k of ['id', 'type', 'created', 'data'] as const)
              expect(fast.value[k]).toEqual(zod.value[k]);
          } else if (!fast.ok && !zod.ok) {
            expect(fast.error.message).toBe(zod.error.message);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts a real envelope without copying its object', () => {
    const payload = base();
    const r = inboxEnvelope(payload);
    expect(r.ok && r.value.data.object).toBe((payload.data as { object: unknown }).object);
  });
});
