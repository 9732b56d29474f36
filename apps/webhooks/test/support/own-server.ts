import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedServer, embeddedServerStatus, ensureEmbeddedServer, stopEmbeddedServer } from '@org/db';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Children of a process (for the postmaster: backends and auxiliary processes), from /proc. */
export function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

export interface OwnServer {
  url: string;
  dataDir: string;
  /** The postmaster's pid. */
  postmaster(): number;
  /** pg_ctl stop -m fast. */
  stop(): Promise<void>;
  /** Starts it again on the same port (pools keep their URL). */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

/**
 * An embedded server of the test's own, in a temp data dir on a fixed port: tests that stop or kill
 * their server must never touch the one every other test shares.
 */
export async function startOwnServer(name: string): Promise<OwnServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `org-webhooks-${name}-`));
  chmodSync(dataDir, 0o755); // the server runs as an unprivileged account when the tests run as root
  const port = await freePort();
  const server: EmbeddedServer = await ensureEmbeddedServer({ dataDir, port });
  return {
    url: server.url,
    dataDir,
    postmaster: () => embeddedServerStatus(dataDir).pid ?? 0,
    stop: async () => {
      await stopEmbeddedServer(dataDir);
    },
    async restart() {
      // Backends that outlived a killed postmaster for a moment keep its shared memory; retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await ensureEmbeddedServer({ dataDir, port });
          return;
        } catch (error) {
          if (attempt === 40) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    async remove() {
      await stopEmbeddedServer(dataDir).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
