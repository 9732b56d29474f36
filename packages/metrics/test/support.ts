import { randomUUID } from 'node:crypto';
import type { ParsedWireEvent } from '../src/event.ts';

/** A stored-shape event for fixtures. */
export function ev(
  userId: string | null,
  name: string,
  at: string,
  category = 'feature',
  extra: Partial<ParsedWireEvent> = {},
): ParsedWireEvent {
  return {
    id: randomUUID(),
    name,
    category,
    userId,
    anonymousId: userId ? null : 'anon-1',
    accountId: null,
    properties: {},
    occurredAt: new Date(at).toISOString(),
    ...extra,
  };
}
