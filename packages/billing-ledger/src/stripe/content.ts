import { err, LedgerError, ok, type Result } from '../errors.ts';

/**
 * What Postgres cannot store in `jsonb`, and what the ledger does about it. A Stripe event is
 * signed by Stripe, so its content is Stripe's (or the account owner's metadata), never a reason
 * to answer "retry later":
 *
 * - a NUL character (`\u0000`) or an unpaired UTF-16 surrogate (`\ud800` alone) in any string or
 *   key: each is replaced by U+FFFD, the event is stored sanitised and processed (amounts, ids and
 *   dates are numbers or plain ASCII in Stripe's objects, so the money is unaffected);
 * - nesting deeper than `MAX_EVENT_DEPTH` objects/arrays: refused with `invalid_payload` (Stripe's
 *   own objects nest about ten levels even with every expansion).
 */
export const MAX_EVENT_DEPTH = 64;

// Code units, not code points (no `u` flag): a surrogate is unpaired when no partner is next to it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what jsonb cannot store.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

const DIRTY = 1;
const TOO_DEEP = 2;

function scan(value: unknown, depth: number, maxDepth: number): number {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? DIRTY : 0;
  if (value === null || typeof value !== 'object') return 0;
  if (depth > maxDepth) return TOO_DEEP;
  let flags = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      flags |= scan(item, depth + 1, maxDepth);
      if (flags & TOO_DEEP) return flags;
    }
    return flags;
  }
  for (const [key, item] of Object.entries(value)) {
    if (UNSTORABLE.test(key)) flags |= DIRTY;
    flags |= scan(item, depth + 1, maxDepth);
    if (flags & TOO_DEEP) return flags;
  }
  return flags;
}

const clean = (s: string) => s.replace(UNSTORABLE_ALL, '\ufffd');

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return clean(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sanitize);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[clean(key)] = sanitize(item);
  return out;
}

/**
 * Checks a parsed JSON value against what `jsonb` stores: the value itself when it is storable,
 * a sanitised copy (`sanitized: true`) when it held NUL characters or unpaired surrogates, or
 * `invalid_payload` when it nests deeper than `maxDepth`. Pure; never throws.
 */
export function storableContent(
  value: unknown,
  maxDepth: number = MAX_EVENT_DEPTH,
): Result<{ value: unknown; sanitized: boolean }, LedgerError<'invalid_payload'>> {
  const flags = scan(value, 1, maxDepth);
  if (flags & TOO_DEEP)
    return err(
      new LedgerError(
        'invalid_payload',
        `The event nests deeper than ${maxDepth} levels of objects and arrays`,
      ),
    );
  return flags & DIRTY ? ok({ value: sanitize(value), sanitized: true }) : ok({ value, sanitized: false });
}
