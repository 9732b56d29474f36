import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { findRepoRoot } from '@org/db';
import type { WebhookEndpoint } from './stripe-events.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts apps/webhooks (the same process `pnpm --filter @org/webhooks start` runs) on a free
 * loopback port with a fresh signing secret, so the demo's Stripe stream goes through the real app.
 * Scheduled billing jobs are switched off for this run; its in-process worker drains the queue.
 */
export async function startWebhookApp(options: {
  databaseUrl: string;
  env: Record<string, string | undefined>;
  timeoutMs?: number;
}): Promise<WebhookEndpoint> {
  const dir = path.join(findRepoRoot(), 'apps', 'webhooks');
  const port = await freePort();
  const secret = `whsec_demo_${randomBytes(12).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    ...options.env,
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    STRIPE_WEBHOOK_SECRET: secret,
    LEDGER_WORKER: 'on',
    BILLING_RECONCILE_CRON: 'off',
    BILLING_WEBHOOK_RECOVERY_CRON: 'off',
    BILLING_AUDIT_CRON: 'off',
  };
  const child = spawn(
    path.join(dir, 'node_modules', '.bin', 'tsx'),
    ['--conditions=@org/source', 'src/main.ts'],
    {
      cwd: dir,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const early = await Promise.race([
      exited,
      new Promise<'running'>((r) => setTimeout(() => r('running'), 200)),
    ]);
    if (early !== 'running')
      throw new Error(`the webhook app exited with ${early} before it answered:\n${stderr}`);
    const healthy = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the webhook app did not answer on ${base}/healthz:\n${stderr}`);
    }
  }
  return {
    url: `${base}/webhooks/stripe`,
    secret,
    async close() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
