/**
 * What a database failure means for the sender of a write:
 * - `content`: Postgres refused the data (SQLSTATE class 22 data exception, 23 integrity
 *   constraint, 54 program limit such as nesting): the same data fails again, the sender's fault;
 * - `conflict`: a deadlock or serialization failure: the same write succeeds when run again;
 * - `unavailable`: no connection, the connection broke, the server is shutting down or out of
 *   resources, the pool timed out, a lock or statement timeout: try again later (503);
 * - `other`: anything else (a bug: 500).
 */
export type DbFailure = 'content' | 'conflict' | 'unavailable' | 'other';

const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
]);

// pg and pg-pool raise these without a SQLSTATE.
const UNAVAILABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|client was closed|cannot use a pool after calling end|connection refused|server closed the connection/i;

export function classifyDbError(error: unknown): DbFailure {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (cls === '22' || cls === '23' || cls === '54') return 'content';
    if (code === '40P01' || code === '40001') return 'conflict';
    if (cls === '08' || cls === '53' || cls === '57' || code === '55P03' || code === '55006' || cls === '58')
      return 'unavailable';
    return 'other';
  }
  if (NODE_UNAVAILABLE.has(code)) return 'unavailable';
  if (typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return 'unavailable';
  return 'other';
}
