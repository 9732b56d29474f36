/**
 * The last resort of the process: an exception nothing caught, or a rejection nothing handled,
 * means its state is unknown. It is logged, the app drains (stops accepting requests, lets the
 * ones in flight answer, finishes or abandons its batches, closes the pool) within `timeoutMs`,
 * and the process exits with 1 so its supervisor (systemd `Restart=always`, pm2, a Procfile
 * platform; see docs/operations.md) starts a fresh one. Database loss is not such a case: it is
 * answered with 503 and recovered from in place.
 */
export interface LastResortOptions {
  log: (message: string, error?: unknown) => void;
  /** Stops the app gracefully. */
  drain: () => Promise<void>;
  /** Exit anyway when draining takes longer (a database that does not answer). Default 10,000 ms. */
  timeoutMs?: number;
  exit?: (code: number) => void;
}

export function installLastResort(options: LastResortOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 10_000;
  let fatal = false;
  const handle = (kind: string) => (error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (fatal) {
      options.log(`${kind} while draining: ${detail}`);
      return;
    }
    fatal = true;
    options.log(`fatal: ${kind}, draining then exiting with 1 for the supervisor to restart: ${detail}`);
    const deadline = setTimeout(() => {
      options.log(`drain did not finish within ${timeoutMs} ms; exiting`);
      exit(1);
    }, timeoutMs);
    options
      .drain()
      .catch((drainError: unknown) => options.log('drain failed', drainError))
      .finally(() => {
        clearTimeout(deadline);
        exit(1);
      });
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
