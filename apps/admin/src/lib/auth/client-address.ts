import { BlockList, isIP } from 'node:net';

/**
 * Who is on the other end of a request, believing forwarding headers (`X-Forwarded-For`,
 * `X-Forwarded-Proto`, `X-Forwarded-Host`) only from configured proxies. Pure: the socket's peer
 * address comes from the caller.
 */
export interface TrustedProxies {
  /** The entries as configured (for messages). */
  entries: string[];
  has(address: string): boolean;
}

export const trustNone: TrustedProxies = { entries: [], has: () => false };

/** `::ffff:203.0.113.5` (an IPv4 client on a dual-stack socket) -> `203.0.113.5`; ports and brackets dropped. */
export function normalizeAddress(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  const v = isIP(a);
  if (v === 0) return null;
  return v === 6 ? a.toLowerCase() : a;
}

/**
 * Parses a comma- or space-separated list of addresses and CIDR ranges (`10.0.0.0/8`, `::1`,
 * `fd00::/8`). An empty list trusts nobody.
 */
export function parseTrustedProxies(
  text: string | undefined,
): { ok: true; value: TrustedProxies } | { ok: false; error: string } {
  const entries = (text ?? '').split(/[\s,]+/).filter(Boolean);
  if (!entries.length) return { ok: true, value: trustNone };
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0 || extra !== undefined)
      return { ok: false, error: `"${entry}" is not an IP address or CIDR range` };
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d{1,3}$/.test(prefix) || bits > (family === 6 ? 128 : 32))
      return { ok: false, error: `"${entry}" has an invalid prefix length` };
    list.addSubnet(address, bits, type);
  }
  return {
    ok: true,
    value: {
      entries,
      has(address: string) {
        const a = normalizeAddress(address);
        if (!a) return false;
        return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
      },
    },
  };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then the
 * `X-Forwarded-For` entries are read from the right (each one written by the hop after it) and the
 * first address that is not a trusted proxy is the client. Entries left of it were written by the
 * client and are ignored. Null when the peer is unknown, or a trusted proxy passed an entry that is
 * no address.
 */
export function clientAddress(
  peer: string | null,
  forwardedFor: string | null,
  trusted: TrustedProxies,
): string | null {
  let current = normalizeAddress(peer);
  if (!current) return null;
  const hops = (forwardedFor ?? '').split(',').map((h) => h.trim());
  while (trusted.has(current)) {
    const hop = hops.pop();
    if (hop === undefined) return current;
    if (hop === '') continue;
    const next = normalizeAddress(hop);
    if (!next) return null;
    current = next;
  }
  return current;
}

/** Whether the client reached us over https: a TLS socket, or a trusted proxy saying so. */
export function isHttps(
  peer: { address: string | null; tls: boolean },
  forwardedProto: string | null,
  trusted: TrustedProxies,
): boolean {
  if (peer.tls) return true;
  if (!peer.address || !trusted.has(peer.address)) return false;
  return forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** The host the client asked for: `X-Forwarded-Host` from a trusted proxy, else `Host`. */
export function requestHost(
  peerAddress: string | null,
  headers: { forwardedHost: string | null; host: string | null },
  trusted: TrustedProxies,
): string | null {
  if (peerAddress && trusted.has(peerAddress) && headers.forwardedHost)
    return headers.forwardedHost.split(',')[0]!.trim() || null;
  return headers.host;
}
