import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { defaultDataDir, ensureAdminCredentials, findRepoRoot } from '@org/db';

/**
 * The admin dashboard as a background server for the demo: `next start` detached (like the embedded
 * database, it outlives the command), its pid and URL kept in `<data dir>/dashboard.json`.
 */
export interface DashboardState {
  pid: number;
  port: number;
  url: string;
}

const adminDir = () => path.join(findRepoRoot(), 'apps', 'admin');
const nextBin = () => path.join(adminDir(), 'node_modules', '.bin', 'next');
const stateFile = (dataDir: string) => path.join(dataDir, 'dashboard.json');

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function dashboardStatus(dataDir: string = defaultDataDir()): DashboardState | undefined {
  try {
    const state = JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as DashboardState;
    return alive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  if (await portFree(preferred)) return preferred;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} ${args.join(' ')} failed:\n${stderr.slice(-2000)}`)),
    );
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { redirect: 'manual' });
      if (response.status < 500) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

export interface StartDashboardOptions {
  dataDir?: string | undefined;
  port?: number;
  env: Record<string, string | undefined>;
  adminPassword?: string | undefined;
  onNote?: (message: string) => void;
}

/** Builds the dashboard if it has no build yet, starts it unless it runs already, returns URL and login. */
export async function startDashboard(
  options: StartDashboardOptions,
): Promise<DashboardState & { password: string; started: boolean }> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const password = options.adminPassword ?? ensureAdminCredentials(dataDir).password;
  const running = dashboardStatus(dataDir);
  if (running) return { ...running, password, started: false };
  if (!existsSync(nextBin())) throw new Error('apps/admin has no node_modules: run pnpm install first');
  if (!existsSync(path.join(adminDir(), '.next', 'BUILD_ID'))) {
    options.onNote?.('building the dashboard (next build, once)');
    await run(nextBin(), ['build'], adminDir(), { ...options.env, NEXT_TELEMETRY_DISABLED: '1' });
  }
  const port = await freePort(options.port ?? 3000);
  const log = openSync(path.join(dataDir, 'dashboard.log'), 'a');
  const env: Record<string, string | undefined> = { ...options.env, NEXT_TELEMETRY_DISABLED: '1' };
  if (options.dataDir) env.ORG_DATA_DIR = dataDir;
  const child = spawn(nextBin(), ['start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: adminDir(),
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const url = `http://127.0.0.1:${port}`;
  if (!child.pid || !(await waitForHttp(`${url}/login`, 60_000))) {
    if (child.pid) process.kill(child.pid);
    throw new Error(`the dashboard did not answer on ${url}; see ${path.join(dataDir, 'dashboard.log')}`);
  }
  const state: DashboardState = { pid: child.pid, port, url };
  writeFileSync(stateFile(dataDir), JSON.stringify(state, null, 2));
  return { ...state, password, started: true };
}

export function stopDashboard(dataDir: string = defaultDataDir()): { stopped: boolean } {
  const state = dashboardStatus(dataDir);
  rmSync(stateFile(dataDir), { force: true });
  if (!state) return { stopped: false };
  // next start runs in its own process group (detached): stop the whole group.
  try {
    process.kill(-state.pid, 'SIGTERM');
  } catch {
    process.kill(state.pid, 'SIGTERM');
  }
  return { stopped: true };
}
