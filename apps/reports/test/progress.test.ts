import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOutput, progressLine } from '../src/output.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A stderr stand-in that records what is written, synchronously. */
function stream(tty: boolean) {
  let text = '';
  const s = {
    isTTY: tty,
    columns: 100,
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => s,
    removeListener: () => s,
  } as unknown as NodeJS.WriteStream;
  return { s, text: () => text };
}

describe('progress', () => {
  it('formats counts, share, rate and elapsed time for logs', () => {
    expect(progressLine('stripe webhooks', 5_200, 17_600, 10_000)).toBe(
      'stripe webhooks: 5,200/17,600 (29%), 520/s, 10 s',
    );
    expect(progressLine('product events', 3, 0, 2_000)).toBe('product events: 3, 1.5/s, 2 s');
    expect(progressLine('cohorts', 0, 0, 30_000)).toBe('cohorts: still running, 30 s');
  });

  it('prints a line per interval when stderr is piped, and stops with the step', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const err = stream(false);
    const out = createOutput({ json: false, stderr: err.s, progressIntervalMs: 5_000, now: () => clock });
    const p = out.progress('stripe webhooks', 100);
    p.update(40);
    clock = 5_000;
    vi.advanceTimersByTime(5_000);
    p.setTotal(200);
    p.increment(60);
    clock = 10_000;
    vi.advanceTimersByTime(5_000);
    p.stop();
    clock = 20_000;
    vi.advanceTimersByTime(10_000);
    expect(err.text()).toBe(
      'stripe webhooks: 40/100 (40%), 8.0/s, 5 s\nstripe webhooks: 100/200 (50%), 10/s, 10 s\n',
    );
  });

  it('draws a bar on a terminal and clears it when the step is done; nothing in --json mode', async () => {
    const tty = stream(true);
    const bar = createOutput({ json: false, stderr: tty.s }).progress('product events', 10);
    bar.update(5);
    bar.stop();
    expect(tty.text()).toContain('product events');
    const quiet = stream(false);
    vi.useFakeTimers();
    const p = createOutput({ json: true, stderr: quiet.s, progressIntervalMs: 1_000 }).progress('x', 10);
    vi.advanceTimersByTime(10_000);
    p.stop();
    expect(quiet.text()).toBe('');
  });
});
