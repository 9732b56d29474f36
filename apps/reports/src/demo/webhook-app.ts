import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { findRepoRoot } from '@org/db';
import type { WebhookEndpoint } from './stripe-events.ts';

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
  const secret = `whsec_demo_${randomBytes(12).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    ...options.env,
    DATABASE_URL: options.databaseUrl,
    // Port 0: the app binds a free port itself (no race with other processes) and logs its URL.
    PORT: '0',
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
  let base = '';
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const early = await Promise.race([
      exited,
      new Promise<'running'>((r) => setTimeout(() => r('running'), 200)),
    ]);
    if (early !== 'running')
      throw new Error(`the webhook app exited with ${early} before it answered:\n${stderr}`);
    base ||= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] ?? '';
    const healthy =
      base !== '' &&
      (await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the webhook app did not answer on ${base || 'its port'}/healthz:\n${stderr}`);
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
