import cliProgress from 'cli-progress';
import pc from 'picocolors';

/** Where a command writes: stdout for results, stderr for progress and notes. */
export interface Output {
  json: boolean;
  result(value: unknown, human: () => string): void;
  note(message: string): void;
  /** Progress of a long step; `total` 0 when the amount of work is not known. */
  progress(label: string, total?: number): Progress;
}

export interface Progress {
  increment(by?: number): void;
  update(value: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const noProgress: Progress = { increment() {}, update() {}, setTotal() {}, stop() {} };

/** How often a piped run prints a progress line (the issue asks for one at least every 10 s). */
export const PIPED_PROGRESS_INTERVAL_MS = 5_000;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** One progress line for logs: counts, share, rate and elapsed time. Pure, for tests. */
export function progressLine(label: string, value: number, total: number, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  if (total <= 0 && value === 0) return `${label}: still running, ${seconds.toFixed(0)} s`;
  const rate = seconds > 0 ? value / seconds : 0;
  const share = total > 0 ? ` (${Math.min(100, Math.floor((value / total) * 100))}%)` : '';
  return `${label}: ${count(value)}${total > 0 ? `/${count(total)}` : ''}${share}, ${rate >= 10 ? count(rate) : rate.toFixed(1)}/s, ${seconds.toFixed(0)} s`;
}

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
  /** Piped progress: line interval and clock (tests pass their own). */
  progressIntervalMs?: number;
  now?: () => number;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  return {
    json: options.json,
    result(value, human) {
      stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    note(message) {
      if (!options.json) stderr.write(`${message}\n`);
    },
    progress(label, total = 0) {
      // --json is for scripts: stdout has the result, stderr stays for errors.
      if (options.json) return noProgress;
      // A person at a terminal gets a bar; it is cleared when done, so the step's own line replaces it.
      if (stderr.isTTY) {
        if (total <= 0) return noProgress;
        const bar = new cliProgress.SingleBar(
          {
            format: `${label} ${pc.cyan('{bar}')} {percentage}% | {value}/{total} | {rate}/s | {duration_formatted}`,
            stream: stderr,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        const started = now();
        let done = 0;
        const rate = () => {
          const s = (now() - started) / 1000;
          return { rate: s > 0 ? count(done / s) : '0' };
        };
        bar.start(total, 0, rate());
        return {
          increment: (by = 1) => {
            done += by;
            bar.update(done, rate());
          },
          update: (value) => {
            done = value;
            bar.update(done, rate());
          },
          setTotal: (t) => bar.setTotal(t),
          stop: () => bar.stop(),
        };
      }
      // Piped (a CI log, a file): a line with counts and rate every few seconds, so a long step is
      // never silent; nothing for steps shorter than one interval.
      const started = now();
      let value = 0;
      let current = total;
      const timer = setInterval(
        () => stderr.write(`${progressLine(label, value, current, now() - started)}\n`),
        options.progressIntervalMs ?? PIPED_PROGRESS_INTERVAL_MS,
      );
      timer.unref();
      return {
        increment: (by = 1) => {
          value += by;
        },
        update: (v) => {
          value = v;
        },
        setTotal: (t) => {
          current = t;
        },
        stop: () => clearInterval(timer),
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
