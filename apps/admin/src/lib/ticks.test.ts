import { describe, expect, it } from 'vitest';
import { axisDateFormatter, tickPlan } from './ticks.ts';

describe('axis ticks', () => {
  it('shortens ISO days, adds the year only across years, and names month buckets', () => {
    const f = axisDateFormatter(['2026-11-02', '2026-11-03'])!;
    expect([f('2026-11-02'), f('2026-11-03')]).toEqual(['Nov 2', 'Nov 3']);
    expect(axisDateFormatter(['2025-12-31', '2026-01-01'])!('2026-01-01')).toBe("Jan 1 '26");
    expect(axisDateFormatter(['2026-01-01', '2026-02-01', '2026-03-01'])!('2026-02-01')).toBe('Feb 2026');
    expect(axisDateFormatter(['active', 'dormant'])).toBeNull();
    expect(axisDateFormatter([])).toBeNull();
  });

  it('shows every tick that fits, thins dates to every n-th, rotates categories', () => {
    const days = Array.from({ length: 90 }, (_, i) => `Nov ${i}`);
    expect(tickPlan(days.slice(0, 7), 600, { categorical: false }).interval).toBe(0);
    const wide = tickPlan(days, 1100, { categorical: false });
    const phone = tickPlan(days, 260, { categorical: false });
    // at most as many labels as fit the width, and more on a wider chart
    for (const [plan, width] of [
      [wide, 1100],
      [phone, 260],
    ] as const) {
      const shown = Math.ceil(90 / ((plan.interval as number) + 1));
      expect(shown * (6 * 7 + 10)).toBeLessThanOrEqual(width + 6 * 7 + 10);
    }
    expect(phone.interval as number).toBeGreaterThan(wide.interval as number);
    const stages = ['new', 'active', 'engaged', 'at_risk', 'dormant', 'churned', 'resurrected'];
    const rotated = tickPlan(stages, 260, { categorical: true });
    expect(rotated).toMatchObject({ interval: 0, angle: -35 });
    expect(rotated.extraHeight).toBeGreaterThan(0);
    expect(rotated.extraLeft).toBeGreaterThan(0);
    expect(tickPlan(stages, 900, { categorical: true })).toEqual({
      interval: 0,
      angle: 0,
      extraHeight: 0,
      extraLeft: 0,
    });
    expect(tickPlan(stages, null, { categorical: true }).interval).toBe('preserveStartEnd');
  });
});
