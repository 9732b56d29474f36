import cliProgress from 'cli-progress';
import pc from 'picocolors';

/** Where a command writes: stdout for results, stderr for progress and notes. */
export interface Output {
  json: boolean;
  result(value: unknown, human: () => string): void;
  note(message: string): void;
  progress(label: string, total: number): Progress;
}

export interface Progress {
  increment(by?: number): void;
  update(value: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const noProgress: Progress = { increment() {}, update() {}, setTotal() {}, stop() {} };

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  return {
    json: options.json,
    result(value, human) {
      stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    note(message) {
      if (!options.json) stderr.write(`${message}\n`);
    },
    progress(label, total) {
      // A bar only for a person watching: never in --json mode or when stderr is a pipe or CI log.
      if (options.json || !stderr.isTTY) return noProgress;
      const bar = new cliProgress.SingleBar(
        {
          format: `${label} ${pc.cyan('{bar}')} {percentage}% | {value}/{total} | eta {eta_formatted}`,
          stream: stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return {
        increment: (by = 1) => bar.increment(by),
        update: (value) => bar.update(value),
        setTotal: (t) => bar.setTotal(t),
        stop: () => bar.stop(),
      };
    },
  };
}

// Colours only for a terminal: picocolors alone also turns them on whenever CI is set, which would put
// escape codes into logs and files; NO_COLOR still switches them off.
export const colour = pc.createColors(pc.isColorSupported && process.stdout.isTTY === true);

/** Plain aligned columns for terminal tables. */
export function table(rows: (string | number)[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length))) ?? [];
  const line = (r: (string | number)[]) =>
    r
      .map((c, i) => String(c).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}
