/**
 * Whose fault a failed write is. `content`: Postgres refused the data itself (SQLSTATE class 22,
 * data exception: a string it cannot store, a number or date out of range; class 23, integrity
 * violation, when it names the written table; class 54, program limit: nesting or sizes beyond what
 * it handles): retrying the same request can never succeed, so the sender gets a 4xx.
 * `unavailable`: anything else (connection refused or lost, server shutting down, out of
 * resources, a missing queue, a unique violation the next attempt will see as a duplicate): the
 * sender should retry, so 503.
 */
export type DatabaseErrorKind = 'content' | 'unavailable';

export function databaseErrorKind(error: unknown, options: { table?: string } = {}): DatabaseErrorKind {
  const e = error as { code?: unknown; table?: unknown } | null;
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  if (code === null) return 'unavailable'; // Node errors (ECONNREFUSED, ...) and pool timeouts
  const sqlClass = code.slice(0, 2);
  if (sqlClass === '22' || sqlClass === '54') return 'content';
  // Only a violation that names the written table: one on another table (the queue's job table
  // when the queue is missing) is the server's.
  if (sqlClass === '23' && code !== '23505' && options.table !== undefined && e?.table === options.table)
    return 'content';
  return 'unavailable';
}
