import { readWebhooksEnv } from './env.ts';
import { startServer } from './server.ts';

// Composition root: `pnpm --filter @org/webhooks start`.
const env = readWebhooksEnv();
const log = (message: string, error?: unknown) => {
  const detail = error instanceof Error ? `: ${error.message}` : '';
  process.stderr.write(`${new Date().toISOString()} ${message}${detail}\n`);
};
const running = await startServer(env, { log });
log(
  `webhooks listening on ${running.url} (POST /webhooks/stripe, GET /healthz); database: ${running.db.source}; worker: ${running.worker ? 'in-process' : 'off'}`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining`);
    running
      .close()
      .then(() => process.exit(0))
      .catch((error) => {
        log('shutdown failed', error);
        process.exit(1);
      });
  });
}
