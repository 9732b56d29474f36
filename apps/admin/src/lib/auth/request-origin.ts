import 'server-only';
import { readAdminEnv } from '../../env.ts';
import { clientAddress, isHttps, requestHost } from './client-address.ts';
import { readPeer } from './peer.ts';

export interface RequestOrigin {
  /** The client's address; null when unknown. */
  ip: string | null;
  /** Whether the client's connection is https (TLS here, or at a trusted proxy). */
  https: boolean;
  /** The host the client asked for. */
  host: string | null;
}

/**
 * What a request says about its client, from the socket (stamped by the peer hook) and forwarding
 * headers that only `ADMIN_TRUSTED_PROXIES` may set. Without the hook nothing forwarded is believed.
 */
export function requestOrigin(h: Headers): RequestOrigin {
  const trusted = readAdminEnv().ADMIN_TRUSTED_PROXIES;
  const peer = readPeer(h);
  if (!peer) return { ip: null, https: false, host: h.get('host') };
  return {
    ip: clientAddress(peer.address, h.get('x-forwarded-for'), trusted),
    https: isHttps(peer, h.get('x-forwarded-proto'), trusted),
    host: requestHost(
      peer.address,
      { forwardedHost: h.get('x-forwarded-host'), host: h.get('host') },
      trusted,
    ),
  };
}
