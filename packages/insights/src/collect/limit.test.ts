import { describe, expect, it } from 'vitest';
import { limiter } from './limit.ts';

describe('limiter', () => {
  it('runs at most n at once, all of them, results and errors in place', async () => {
    const gate = limiter(2);
    let active = 0;
    let peak = 0;
    const task = (i: number) =>
      gate(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 5 + (i % 3)));
        active--;
        if (i === 3) throw new Error('task 3 failed');
        return i * 10;
      });
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => task(i)));
    expect(peak).toBe(2);
    expect(active).toBe(0);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      0,
      10,
      20,
      'task 3 failed',
      40,
      50,
      60,
    ]);
  });
});
