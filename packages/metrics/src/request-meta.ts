import { isIP } from 'node:net';
import type { RequestMetadata } from './event.ts';

/** Zeroes the host part: the last octet of IPv4, the last 80 bits of IPv6 (as GA's anonymizeIp). */
export function anonymizeIp(ip: string): string {
  const kind = isIP(ip);
  if (kind === 4) return ip.replace(/\.\d+$/, '.0');
  if (kind === 6) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups =
      tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
    return `${groups.slice(0, 3).join(':')}::`;
  }
  return ip;
}

interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined } | undefined;
}

export interface RequestMetadataOptions {
  /** Trust `x-forwarded-for` / `x-real-ip` (only behind your own proxy). Default false. */
  trustProxy?: boolean;
  anonymizeIp?: boolean;
  /** The socket address when the Request object does not carry it (e.g. from the server adapter). */
  remoteAddress?: string | undefined;
}

const first = (v: string | string[] | null | undefined) => (Array.isArray(v) ? v[0] : (v ?? undefined));

/** IP, user agent and referrer of a fetch `Request` or a Node `IncomingMessage`. */
export function requestMetadata(
  req: Request | NodeRequestLike,
  options: RequestMetadataOptions = {},
): RequestMetadata {
  const header = (name: string) =>
    req instanceof Request ? (req.headers.get(name) ?? undefined) : first(req.headers[name]);
  let ip: string | undefined;
  if (options.trustProxy)
    ip = header('x-forwarded-for')?.split(',')[0]?.trim() || header('x-real-ip') || undefined;
  ip ??= options.remoteAddress ?? (req instanceof Request ? undefined : req.socket?.remoteAddress);
  if (ip?.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  if (ip && isIP(ip) === 0) ip = undefined;
  if (ip && options.anonymizeIp) ip = anonymizeIp(ip);
  const userAgent = header('user-agent')?.slice(0, 512);
  const referrer = (header('referer') ?? header('referrer'))?.slice(0, 2048);
  return { ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}), ...(referrer ? { referrer } : {}) };
}
