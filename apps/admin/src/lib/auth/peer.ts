import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/**
 * The TCP peer of each request, which Next.js does not expose: `next start` copies the socket's
 * address into `X-Forwarded-For` only when the client sent none, so a client that sends one hides
 * its address. `installPeerHook` (run once per server process by `instrumentation.ts`) stamps every
 * incoming request with the socket's address and whether it is TLS, under a header the client cannot
 * forge: the value carries a random per-process token, and any value the client sent is overwritten.
 * It works under `next start`, `next dev` and a custom server alike.
 */
export const PEER_HEADER = 'x-org-peer';

const holder = globalThis as typeof globalThis & { __orgAdminPeerToken?: string };

export interface Peer {
  /** The socket's remote address as Node reports it (e.g. `127.0.0.1`, `::ffff:10.0.0.2`). */
  address: string | null;
  tls: boolean;
}

export function installPeerHook(): void {
  if (holder.__orgAdminPeerToken) return;
  const token = randomBytes(18).toString('base64url');
  for (const Server of [http.Server, https.Server]) {
    const emit = Server.prototype.emit as (
      this: unknown,
      event: string | symbol,
      ...args: unknown[]
    ) => boolean;
    Server.prototype.emit = function emitWithPeer(this: unknown, event: string | symbol, ...args: unknown[]) {
      if (event === 'request') {
        const req = args[0] as http.IncomingMessage;
        const socket = req.socket as Partial<TLSSocket> | undefined;
        req.headers[PEER_HEADER] =
          `${token} ${socket?.remoteAddress ?? '-'} ${socket?.encrypted ? 'tls' : 'tcp'}`;
      }
      return emit.call(this, event, ...args);
    } as typeof Server.prototype.emit;
  }
  holder.__orgAdminPeerToken = token;
}

/** The peer stamped by the hook, or null when the hook is not installed (or the header is forged). */
export function readPeer(headers: Headers): Peer | null {
  const token = holder.__orgAdminPeerToken;
  const value = headers.get(PEER_HEADER);
  if (!token || !value) return null;
  const [t, address, transport, extra] = value.split(' ');
  if (t !== token || extra !== undefined || !address) return null;
  return { address: address === '-' ? null : address, tls: transport === 'tls' };
}
