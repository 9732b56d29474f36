// A process with the webhook app's last-resort handler and an HTTP server to drain, for
// test/last-resort.test.ts: `node --import tsx test/support/last-resort-child.ts <exception|rejection|stuck>`.
import http from 'node:http';
import { installLastResort } from '../../src/last-resort.ts';

const mode = process.argv[2];
const server = http.createServer((_req, res) => res.end('ok'));
const log = (message: string, error?: unknown) =>
  process.stderr.write(`${message}${error instanceof Error ? `: ${error.message}` : ''}\n`);
installLastResort({
  log,
  timeoutMs: mode === 'stuck' ? 300 : 10_000,
  drain: () =>
    mode === 'stuck'
      ? new Promise<void>(() => {})
      : new Promise<void>((resolve) =>
          server.close(() => {
            process.stdout.write('drained\n');
            resolve();
          }),
        ),
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write('listening\n');
  if (mode === 'rejection') void Promise.reject(new Error('nobody handles this rejection'));
  else
    setTimeout(() => {
      throw new Error('nobody catches this exception');
    }, 0);
});
