import { withTransaction } from '@org/db';
import type pg from 'pg';
import { defaultEventRegistry, type EventRegistry, parseEvent } from '../../src/index.ts';

export { canonicalDump, ledgerTables, resetLedger } from '../../src/testing/index.ts';

/** Applies one event's handlers in a transaction, bypassing the inbox (so duplicates reach the guard). */
export async function applyEventDirect(
  pool: pg.Pool,
  raw: unknown,
  registry: EventRegistry = defaultEventRegistry(),
): Promise<void> {
  const parsed = parseEvent(raw);
  if (!parsed.ok) throw parsed.error;
  const event = parsed.value;
  await withTransaction(pool, async (client) => {
    for (const h of registry.handlersFor(event.type)) {
      await h({
        client,
        event,
        object: event.data.object,
        apply: {
          observedAt: new Date(event.created * 1000),
          sourceEventId: event.id,
          deleted: event.type.endsWith('.deleted'),
        },
      });
    }
  });
}
