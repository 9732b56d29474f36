import { describe, expect, it } from 'vitest';
import { addDays, asOfDay, daysOf, monthMasks, ratio, utcDay } from './time.ts';

describe('time helpers', () => {
  it('reports the day that just ended for a midnight as-of', () => {
    expect(asOfDay(new Date('2026-03-02T00:00:00Z'))).toBe('2026-03-01');
    expect(asOfDay(new Date('2026-03-02T00:00:00.001Z'))).toBe('2026-03-02');
  });
  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(utcDay(new Date('2026-01-01T23:59:59Z'))).toBe('2026-01-01');
  });
  it('maps a half-open period to its days', () => {
    expect(daysOf(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-08T00:00:00Z'))).toEqual({
      first: '2026-01-01',
      last: '2026-01-07',
    });
  });
  it('masks each month of a range to its days in it, across a year end', () => {
    expect(monthMasks('2026-12-31', '2027-02-28')).toEqual({
      months: ['2026-12-01', '2027-01-01', '2027-02-01'],
      masks: [2 ** 30, 2 ** 31 - 1, 2 ** 28 - 1],
    });
    expect(monthMasks('2026-03-02', '2026-03-04')).toEqual({ months: ['2026-03-01'], masks: [0b1110] });
  });
  it('gives null for 0/0', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(1, 3)).toBe(0.3333);
  });
});
