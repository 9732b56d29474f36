import { describe, expect, it } from 'vitest';
import type { ParsedWireEvent } from '../event.ts';
import { MAX_PROPERTIES_DEPTH, screenEvent, screenEvents } from './screen.ts';

const NOW = Date.UTC(2026, 11, 7, 12);
const base = (extra: Partial<ParsedWireEvent> = {}): ParsedWireEvent => ({
  id: '0b8a3f4e-0f5c-4b55-9d7e-1f2a3b4c5d6e',
  name: 'feature_used',
  category: 'feature',
  userId: 'u1',
  properties: { feature: 'x' },
  occurredAt: '2026-12-07T11:00:00.000Z',
  ...extra,
});
const window = { pastDays: 400, futureDays: 1 };
const code = (e: ParsedWireEvent) => screenEvent(e, { now: NOW, window })?.code ?? null;

/** `{ a: { a: ... 1 } }` with `levels` objects (the outer one is level 1). */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe('screening events before they are stored', () => {
  it('accepts [now - 400 days, now + 1 day] and refuses what lies outside, whatever the year', () => {
    expect(code(base())).toBeNull();
    expect(code(base({ occurredAt: new Date(NOW - 400 * 86_400_000).toISOString() }))).toBeNull();
    expect(code(base({ occurredAt: new Date(NOW + 86_400_000).toISOString() }))).toBeNull();
    for (const at of [
      new Date(NOW - 400 * 86_400_000 - 1).toISOString(),
      new Date(NOW + 86_400_000 + 1).toISOString(),
      '0050-01-01T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '1850-06-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ])
      expect(code(base({ occurredAt: at })), at).toBe('out_of_window');
    expect(code(base({ occurredAt: '2026-12-07T11:00:00+23:00' }))).toBe('invalid_occurred_at');
    // Without a window (server-side backfills), any instant Postgres reads.
    expect(screenEvent(base({ occurredAt: '1850-06-01T00:00:00Z' }), { now: NOW, window: null })).toBeNull();
  });

  it('refuses NUL and unpaired surrogates anywhere, and keeps well-formed pairs', () => {
    expect(code(base({ properties: { emoji: '\ud83d\ude00' } }))).toBeNull();
    for (const e of [
      base({ properties: { note: 'a\u0000b' } }),
      base({ properties: { 'k\u0000': 1 } }),
      base({ properties: { list: [1, { deep: 'x\ud800' }] } }),
      base({ properties: { tail: '\ude00' } }),
      base({ userId: 'u\u0000' }),
      base({ userId: null, anonymousId: 'v\udbff' }),
      base({ accountId: 'org\u0000' }),
      base({ context: { userAgent: 'ua\ud800' } }),
      base({ context: { referrer: 'https://x/\u0000' } }),
    ])
      expect(code(e), JSON.stringify(e)).toBe('invalid_text');
  });

  it(`refuses properties nested deeper than ${MAX_PROPERTIES_DEPTH} levels, arrays counted, without recursion`, () => {
    expect(code(base({ properties: nested(MAX_PROPERTIES_DEPTH) }))).toBeNull();
    expect(code(base({ properties: nested(MAX_PROPERTIES_DEPTH + 1) }))).toBe('too_deep');
    let arrays: unknown = 1;
    for (let i = 0; i < MAX_PROPERTIES_DEPTH; i++) arrays = [arrays];
    expect(code(base({ properties: { a: arrays } }))).toBe('too_deep');
    // Far deeper than a recursive walk (or JSON.stringify) survives.
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(code(base({ properties: { deep } }))).toBe('too_deep');
  });

  it('splits a batch into accepted and refused events by batch index', () => {
    const batch = [base(), base({ occurredAt: '0050-01-01T00:00:00Z' }), base(), base({ userId: '\u0000' })];
    const { accepted, rejected } = screenEvents(batch, { now: NOW, window });
    expect(accepted.map((a) => a.index)).toEqual([0, 2]);
    expect(rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'out_of_window'],
      [3, 'invalid_text'],
    ]);
    expect(rejected[0]!.message).toMatch(/outside \[2025-11-02T12:00:00.000Z, 2026-12-08T12:00:00.000Z\]/);
  });
});
