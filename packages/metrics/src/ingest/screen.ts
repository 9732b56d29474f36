import { parseIsoInstant } from '../calc/instant.ts';
import type { ParsedWireEvent } from '../event.ts';

/** Deepest nesting of `properties` stored: the properties object is level 1, `{ a: { b: 1 } }` is 2. */
export const MAX_PROPERTIES_DEPTH = 32;

/** Accepted `occurredAt` relative to the receiver's clock: [now - pastDays, now + futureDays]. */
export interface IngestWindow {
  pastDays: number;
  futureDays: number;
}

/** The window of the HTTP ingest and the `track_events` RPC. */
export const DEFAULT_INGEST_WINDOW: IngestWindow = { pastDays: 400, futureDays: 1 };

/**
 * Why one event of a batch was refused (the others are stored):
 * - `out_of_window`: `occurredAt` outside the ingest window;
 * - `invalid_occurred_at`: a timestamp Postgres cannot read (offset beyond +-15:59, no such day);
 * - `invalid_text`: a string (or property name) holds NUL (`\u0000`) or an unpaired UTF-16
 *   surrogate, which Postgres text and jsonb cannot store;
 * - `too_deep`: `properties` nest deeper than `MAX_PROPERTIES_DEPTH`;
 * - `unstorable`: Postgres refused the event's data (a data or constraint error).
 * None of them is worth a retry: the same event is refused again.
 */
export type RejectionCode =
  | 'out_of_window'
  | 'invalid_occurred_at'
  | 'invalid_text'
  | 'too_deep'
  | 'unstorable';

export interface RejectedEvent {
  /** Position in the batch as sent (0-based). */
  index: number;
  id: string | null;
  code: RejectionCode;
  message: string;
}

export interface ScreenOptions {
  /** The receiver's clock, epoch ms. */
  now: number;
  /** null: any timestamp Postgres can read. */
  window: IngestWindow | null;
  maxDepth?: number;
}

export interface Screened {
  accepted: { index: number; event: ParsedWireEvent }[];
  rejected: RejectedEvent[];
}

const DAY = 86_400_000;
// With the u flag a well-formed pair is one code point: only unpaired surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

function badText(s: string): string | null {
  if (s.includes('\u0000')) return 'NUL (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'an unpaired UTF-16 surrogate';
  return null;
}

/** The first problem of a value Postgres would refuse or we do not store, walked without recursion. */
function checkProperties(
  properties: Record<string, unknown>,
  maxDepth: number,
): { code: 'invalid_text' | 'too_deep'; message: string } | null {
  const stack: { value: unknown; depth: number; path: string }[] = [
    { value: properties, depth: 1, path: 'properties' },
  ];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      const bad = badText(value);
      if (bad) return { code: 'invalid_text', message: `${path} contains ${bad}` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth)
      return { code: 'too_deep', message: `properties nest deeper than ${maxDepth} levels (at ${path})` };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        stack.push({ value: value[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      for (const [k, v] of Object.entries(value)) {
        const bad = badText(k);
        if (bad) return { code: 'invalid_text', message: `a property name in ${path} contains ${bad}` };
        stack.push({ value: v, depth: depth + 1, path: `${path}.${k}` });
      }
    }
  }
  return null;
}

/** Why this event must not be stored, or null. Pure: the clock comes in `options.now`. */
export function screenEvent(
  e: ParsedWireEvent,
  options: ScreenOptions,
): { code: RejectionCode; message: string } | null {
  const at = parseIsoInstant(e.occurredAt);
  if (at === null)
    return {
      code: 'invalid_occurred_at',
      message: `occurredAt ${e.occurredAt} is not an instant Postgres can store`,
    };
  if (options.window) {
    const from = options.now - options.window.pastDays * DAY;
    const to = options.now + options.window.futureDays * DAY;
    if (at < from || at > to)
      return {
        code: 'out_of_window',
        message: `occurredAt ${e.occurredAt} is outside [${new Date(from).toISOString()}, ${new Date(to).toISOString()}] (${options.window.pastDays} days back, ${options.window.futureDays} ahead of the receiver's clock)`,
      };
  }
  const fields: [string, string | null | undefined][] = [
    ['userId', e.userId],
    ['anonymousId', e.anonymousId],
    ['accountId', e.accountId],
    ['context.userAgent', e.context?.userAgent],
    ['context.referrer', e.context?.referrer],
  ];
  for (const [name, value] of fields) {
    const bad = typeof value === 'string' ? badText(value) : null;
    if (bad) return { code: 'invalid_text', message: `${name} contains ${bad}` };
  }
  return checkProperties(e.properties ?? {}, options.maxDepth ?? MAX_PROPERTIES_DEPTH);
}

/** Splits a batch into the events to store and the ones refused, each with its batch index. */
export function screenEvents(events: readonly ParsedWireEvent[], options: ScreenOptions): Screened {
  const accepted: Screened['accepted'] = [];
  const rejected: RejectedEvent[] = [];
  events.forEach((event, index) => {
    const problem = screenEvent(event, options);
    if (problem) rejected.push({ index, id: event.id, ...problem });
    else accepted.push({ index, event });
  });
  return { accepted, rejected };
}
