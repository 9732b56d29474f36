import { describe, expect, it } from 'vitest';
import { parsePeriod, periodQuery } from './period.ts';

const today = new Date('2026-11-21T23:30:00Z');

describe('parsePeriod', () => {
  it('defaults to the last 30 days including today', () => {
    const p = parsePeriod({}, today);
    expect([p.from, p.to, p.days, p.preset]).toEqual(['2026-10-23', '2026-11-22', 30, 30]);
    expect(p.previous).toEqual({ from: '2026-09-23', to: '2026-10-23' });
  });

  it('reads presets with an optional end and custom ranges', () => {
    expect(parsePeriod({ days: '7', to: '2026-06-01' }, today)).toMatchObject({
      from: '2026-05-25',
      to: '2026-06-01',
      preset: 7,
    });
    expect(parsePeriod({ from: '2026-01-01', to: '2026-02-01' }, today)).toMatchObject({
      days: 31,
      preset: null,
      previous: { from: '2025-12-01', to: '2026-01-01' },
    });
  });

  it('ignores invalid values', () => {
    expect(parsePeriod({ days: '13', from: '2026-02-30', to: 'x' }, today)).toMatchObject({
      preset: 30,
      to: '2026-11-22',
    });
    expect(parsePeriod({ from: '2026-03-01', to: '2026-02-01' }, today).preset).toBe(30);
  });

  it('knows whether the end was chosen', () => {
    expect(parsePeriod({ days: '7', to: '2026-06-01' }, today).pinnedTo).toBe(true);
    expect(parsePeriod({ from: '2026-01-01', to: '2026-02-01' }, today).pinnedTo).toBe(true);
    expect(parsePeriod({ days: '7' }, today).pinnedTo).toBe(false);
    expect(parsePeriod({ days: '7', to: 'x' }, today).pinnedTo).toBe(false);
  });

  it('round-trips through the query string', () => {
    const p = parsePeriod({ from: '2026-01-01', to: '2026-02-01' }, today);
    expect(periodQuery(p, { interval: 'week' })).toBe('from=2026-01-01&to=2026-02-01&interval=week');
  });
});
