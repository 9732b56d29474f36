import { describe, expect, it } from 'vitest';
import { monthOf, monthRange, monthsBetween, parseIsoInstant, utcMillis } from './instant.ts';

describe('calendar arithmetic for every year', () => {
  it('reads years 0-99 as themselves (Date.UTC reads them as 1900-1999)', () => {
    expect(new Date(utcMillis(50, 1)).toISOString()).toBe('0050-01-01T00:00:00.000Z');
    expect(new Date(utcMillis(99, 12, 31, 23, 59, 59, 999)).toISOString()).toBe('0099-12-31T23:59:59.999Z');
    expect(parseIsoInstant('0050-01-01T00:00:00Z')).toBe(utcMillis(50, 1));
    expect(parseIsoInstant('0099-12-31T23:00:00-02:00')).toBe(utcMillis(100, 1, 1, 1));
  });

  it('gives the next month of any month, December and the years 0-99 included', () => {
    expect(monthRange('0050-12')).toEqual({ start: utcMillis(50, 12), end: utcMillis(51, 1) });
    expect(new Date(monthRange('0099-12').end).toISOString()).toBe('0100-01-01T00:00:00.000Z');
    expect(new Date(monthRange('2026-02').end).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(monthOf(monthRange('0050-12').end)).toBe('0051-01');
    expect(monthsBetween(utcMillis(50, 11, 20), utcMillis(51, 2, 1))).toEqual([
      '0050-11',
      '0050-12',
      '0051-01',
      '0051-02',
    ]);
  });

  it('parses offsets and fractions, and refuses instants Postgres would not read', () => {
    expect(parseIsoInstant('2026-03-01T10:00:00.123456Z')).toBe(Date.UTC(2026, 2, 1, 10, 0, 0, 123));
    expect(parseIsoInstant('2026-03-01T10:00:00+15:59')).toBe(
      Date.UTC(2026, 2, 1, 10) - (15 * 60 + 59) * 60_000,
    );
    expect(parseIsoInstant('2026-03-01T10:00:00-05:30')).toBe(Date.UTC(2026, 2, 1, 15, 30));
    for (const bad of [
      '2026-03-01T10:00:00+16:00',
      '2026-02-29T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-12-31T23:59:60Z',
      '2026-13-01T00:00:00Z',
      'yesterday',
      '2026-03-01',
    ])
      expect(parseIsoInstant(bad), bad).toBeNull();
    expect(parseIsoInstant('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('has no month outside years 1-9999', () => {
    expect(monthOf(utcMillis(0, 6))).toBeNull();
    expect(monthOf(utcMillis(10000, 1))).toBeNull();
    expect(monthOf(utcMillis(1, 1))).toBe('0001-01');
  });
});
