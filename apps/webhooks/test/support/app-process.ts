import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRET } from './server.ts';

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** The webhook app as users run it (`src/main.ts` in its own Node process), on a free port. */
export async function startAppProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--conditions=@org/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: '6',
      PORT: '0',
      HOST: '127.0.0.1',
      STRIPE_WEBHOOK_SECRET: SECRET,
      LEDGER_WORKER: 'on',
      BILLING_RECONCILE_CRON: 'off',
      BILLING_WEBHOOK_RECOVERY_CRON: 'off',
      BILLING_AUDIT_CRON: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = output.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`the webhook app exited with ${code} before listening:\n${output}`));
    });
  });
  return { url, child, output: () => output, exited };
}
