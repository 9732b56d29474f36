import type { ParsedWireEvent } from '../event.ts';
import type { InsertEventsResult } from '../store/events.ts';
import { classifyDbError } from '../store/pg-errors.ts';
import type { RejectedEvent } from './screen.ts';

export interface StoreOutcome {
  inserted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

export interface StoreBatchOptions {
  /** Runs of a write that met a deadlock or serialization failure (default 3). */
  conflictRetries?: number;
  /** Statements one batch may take to find the events Postgres refuses (default 24). */
  maxStatements?: number;
}

/**
 * Stores screened events with `write` (one statement for the batch) and answers per event:
 * - a deadlock or serialization failure runs the write again (it holds nothing after rollback);
 * - a data or constraint error (SQLSTATE 22, 23, 54) is the content's fault: the batch is split
 *   in halves until the refused events are found, each reported as `unstorable`, and the others
 *   stored. Only this error path costs more statements; at most `maxStatements`, after which what
 *   still fails is refused together;
 * - anything else (connection lost, timeouts) is thrown for the caller to answer (503/500).
 */
export async function storeBatch(
  write: (events: ParsedWireEvent[]) => Promise<InsertEventsResult>,
  items: readonly { index: number; event: ParsedWireEvent }[],
  options: StoreBatchOptions = {},
): Promise<StoreOutcome> {
  const retries = options.conflictRetries ?? 3;
  const budget = options.maxStatements ?? 24;
  let statements = 0;

  async function attempt(part: readonly { event: ParsedWireEvent }[]): Promise<InsertEventsResult> {
    for (let run = 0; ; run++) {
      statements++;
      try {
        return await write(part.map((p) => p.event));
      } catch (error) {
        if (classifyDbError(error) === 'conflict' && run < retries) continue;
        throw error;
      }
    }
  }

  async function store(part: readonly { index: number; event: ParsedWireEvent }[]): Promise<StoreOutcome> {
    if (part.length === 0) return { inserted: 0, duplicates: 0, rejected: [] };
    try {
      const r = await attempt(part);
      return { inserted: r.inserted, duplicates: r.duplicates, rejected: [] };
    } catch (error) {
      if (classifyDbError(error) !== 'content') throw error;
      if (part.length === 1 || statements >= budget) {
        const reason = String((error as Error).message ?? error).slice(0, 200);
        return {
          inserted: 0,
          duplicates: 0,
          rejected: part.map(({ index, event }) => ({
            index,
            id: event.id,
            code: 'unstorable' as const,
            message: `Postgres refused the event${part.length > 1 ? ' (or one stored with it)' : ''}: ${reason}`,
          })),
        };
      }
      const mid = part.length >> 1;
      const a = await store(part.slice(0, mid));
      const b = await store(part.slice(mid));
      return {
        inserted: a.inserted + b.inserted,
        duplicates: a.duplicates + b.duplicates,
        rejected: [...a.rejected, ...b.rejected],
      };
    }
  }

  const outcome = await store(items);
  outcome.rejected.sort((x, y) => x.index - y.index);
  return outcome;
}
