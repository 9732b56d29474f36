import { readWebhooksEnv } from './env.ts';
import { installLastResort } from './last-resort.ts';
import { type RunningServer, startServer } from './server.ts';

// Composition root: `pnpm --filter @org/webhooks start`. Run it under a supervisor that restarts
// it when it exits (docs/operations.md): it exits non-zero on a fatal error after draining.
const env = readWebhooksEnv();
const log = (message: string, error?: unknown) => {
  const detail = error instanceof Error ? `: ${error.message}` : '';
  process.stderr.write(`${new Date().toISOString()} ${message}${detail}\n`);
};
const DRAIN_TIMEOUT_MS = 15_000;

let running: RunningServer | undefined;
installLastResort({ log, drain: async () => running?.close(), timeoutMs: DRAIN_TIMEOUT_MS });
running = await startServer(env, { log });
log(
  `webhooks listening on ${running.url} (POST /webhooks/stripe, GET /healthz); database: ${running.db.source}; worker: ${running.worker ? 'in-process' : 'off'}`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining`);
    // A database that does not answer must not keep the process from stopping.
    setTimeout(() => {
      log(`drain did not finish within ${DRAIN_TIMEOUT_MS} ms; exiting`);
      process.exit(1);
    }, DRAIN_TIMEOUT_MS).unref();
    running
      ?.close()
      .then(() => process.exit(0))
      .catch((error) => {
        log('shutdown failed', error);
        process.exit(1);
      });
  });
}
