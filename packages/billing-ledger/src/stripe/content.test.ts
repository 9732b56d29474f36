import { describe, expect, it } from 'vitest';
import { MAX_EVENT_DEPTH, storableContent } from './content.ts';

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { v };
  return v;
};

describe('storableContent', () => {
  it('returns storable values untouched (same object)', () => {
    const value = { a: 'café 😀', b: [1, null, true, { c: 'x' }] };
    const r = storableContent(value);
    expect(r.ok && r.value.sanitized).toBe(false);
    expect(r.ok && r.value.value).toBe(value);
  });

  it('replaces NUL and unpaired surrogates in values and keys with U+FFFD, keeping pairs', () => {
    const r = storableContent({
      name: 'a\u0000b',
      'k\u0000': ['\ud800', 'x\udc00', '\ud83d\ude00', '\ude00\ud83d'],
      fine: 1,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        sanitized: true,
        value: {
          name: 'a\ufffdb',
          'k\ufffd': ['\ufffd', 'x\ufffd', '\ud83d\ude00', '\ufffd\ufffd'],
          fine: 1,
        },
      },
    });
    // What jsonb refuses is gone from the JSON text too.
    expect(JSON.stringify(r.ok && r.value.value)).not.toMatch(/\\u0000|\\ud8|\\udc|\\ude/);
  });

  it('accepts nesting up to MAX_EVENT_DEPTH and refuses one level more', () => {
    expect(storableContent(nested(MAX_EVENT_DEPTH)).ok).toBe(true);
    const deep = storableContent(nested(MAX_EVENT_DEPTH + 1));
    expect(deep).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(!deep.ok && deep.error.message).toContain(String(MAX_EVENT_DEPTH));
    expect(storableContent(nested(100_000)).ok).toBe(false);
  });
});
