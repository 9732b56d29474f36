import { afterEach, beforeEach, vi } from 'vitest';

// A test that prints unexpectedly fails: output is either asserted or a bug.
const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
let calls: string[] = [];

beforeEach(() => {
  calls = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      calls.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
});

afterEach((context) => {
  const printed = calls;
  vi.restoreAllMocks();
  if (printed.length > 0 && !context.task.meta.allowConsole) {
    throw new Error(`Test printed unexpectedly:\n${printed.slice(0, 5).join('\n')}`);
  }
});

declare module 'vitest' {
  interface TaskMeta {
    allowConsole?: boolean;
  }
}
