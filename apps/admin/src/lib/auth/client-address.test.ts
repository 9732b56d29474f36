import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  isHttps,
  normalizeAddress,
  parseTrustedProxies,
  requestHost,
  trustNone,
} from './client-address.ts';

const trusted = (text: string) => {
  const parsed = parseTrustedProxies(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe('trusted proxies', () => {
  it('parses addresses and CIDR ranges of both families, and refuses anything else', () => {
    const t = trusted('10.0.0.0/8, 192.0.2.7 fd00::/8,::1');
    expect(['10.1.2.3', '192.0.2.7', '::ffff:10.9.9.9', 'fd12::1', '::1'].map((a) => t.has(a))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['11.0.0.1', '192.0.2.8', 'fe80::1', 'nonsense'].some((a) => t.has(a))).toBe(false);
    expect(parseTrustedProxies(undefined)).toEqual({ ok: true, value: trustNone });
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1/8/2', '10.0.0.0/x'])
      expect(parseTrustedProxies(bad).ok, bad).toBe(false);
  });

  it('normalises what sockets and proxies write', () => {
    expect(normalizeAddress('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(normalizeAddress('203.0.113.5:443')).toBe('203.0.113.5');
    expect(normalizeAddress('[2001:DB8::1]:8080')).toBe('2001:db8::1');
    expect(normalizeAddress('unknown')).toBeNull();
    expect(normalizeAddress('')).toBeNull();
  });
});

describe('client address', () => {
  it('is the socket peer when nobody is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('198.51.100.9', '127.0.0.1', trustNone)).toBe('198.51.100.9');
    expect(clientAddress('::ffff:198.51.100.9', null, trustNone)).toBe('198.51.100.9');
    expect(clientAddress(null, '203.0.113.1', trustNone)).toBeNull();
  });

  it('behind trusted proxies, is the rightmost address they did not add themselves', () => {
    const t = trusted('10.0.0.0/8');
    // client-written entries on the left are ignored
    expect(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.4', t)).toBe('203.0.113.4');
    // a chain of trusted proxies
    expect(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.4, 10.0.0.5', t)).toBe('203.0.113.4');
    // an untrusted peer's header is not read at all
    expect(clientAddress('198.51.100.1', '203.0.113.4', t)).toBe('198.51.100.1');
    // a trusted proxy without the header: the proxy is the client
    expect(clientAddress('10.0.0.2', null, t)).toBe('10.0.0.2');
    // all trusted: the leftmost
    expect(clientAddress('10.0.0.2', '10.0.0.9, 10.0.0.5', t)).toBe('10.0.0.9');
    // a trusted proxy handing over junk: unknown rather than blaming the proxy
    expect(clientAddress('10.0.0.2', 'unknown', t)).toBeNull();
  });

  it('believes X-Forwarded-Proto and -Host only from a trusted proxy', () => {
    const t = trusted('10.0.0.2');
    expect(isHttps({ address: '10.0.0.2', tls: false }, 'https', t)).toBe(true);
    expect(isHttps({ address: '198.51.100.1', tls: false }, 'https', t)).toBe(false);
    expect(isHttps({ address: '198.51.100.1', tls: true }, null, t)).toBe(true);
    const headers = { forwardedHost: 'evil.example', host: 'admin.example' };
    expect(requestHost('198.51.100.1', headers, t)).toBe('admin.example');
    expect(requestHost('10.0.0.2', { ...headers, forwardedHost: 'admin.example.com' }, t)).toBe(
      'admin.example.com',
    );
  });
});
