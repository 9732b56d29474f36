import { describe, expect, it } from 'vitest';
import { addPeriods, periodIndex, periodStart, periodsReached } from './periods.ts';

describe('periods', () => {
  it('starts ISO weeks on Monday and months on the 1st', () => {
    expect(periodStart('week', '2026-03-01')).toBe('2026-02-23'); // a Sunday
    expect(periodStart('week', '2026-03-02')).toBe('2026-03-02');
    expect(periodStart('month', '2026-03-31')).toBe('2026-03-01');
  });
  it('indexes and counts periods', () => {
    expect(periodIndex('week', '2026-03-02', '2026-03-15')).toBe(1);
    expect(periodIndex('month', '2025-12-01', '2026-02-10')).toBe(2);
    expect(periodsReached('week', '2026-03-02', '2026-03-09', 12)).toBe(2);
    expect(periodsReached('day', '2026-03-02', '2026-03-01', 12)).toBe(0);
    expect(periodsReached('month', '2025-01-01', '2026-03-01', 12)).toBe(12);
    expect(addPeriods('month', '2026-11-01', 3)).toBe('2027-02-01');
  });
});
