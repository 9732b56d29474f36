import { describe, expect, it } from 'vitest';
import { anonymizeIp, requestMetadata } from './request-meta.ts';

describe('request metadata', () => {
  it('anonymises IPv4 and IPv6 addresses', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:db8::1')).toBe('2001:db8:0::');
  });
  it('reads a fetch Request, trusting forwarded headers only when asked', () => {
    const req = new Request('http://x/', {
      headers: { 'x-forwarded-for': '198.51.100.4, 10.0.0.1', 'user-agent': 'ua', referer: 'https://r' },
    });
    expect(requestMetadata(req, { remoteAddress: '10.0.0.1' })).toEqual({
      ip: '10.0.0.1',
      userAgent: 'ua',
      referrer: 'https://r',
    });
    expect(requestMetadata(req, { trustProxy: true, anonymizeIp: true })).toEqual({
      ip: '198.51.100.0',
      userAgent: 'ua',
      referrer: 'https://r',
    });
  });
  it('reads a Node request and unwraps IPv4-mapped addresses', () => {
    expect(
      requestMetadata({
        headers: { 'user-agent': ['a', 'b'] },
        socket: { remoteAddress: '::ffff:192.0.2.9' },
      }),
    ).toEqual({ ip: '192.0.2.9', userAgent: 'a' });
    expect(requestMetadata({ headers: {}, socket: { remoteAddress: 'garbage' } })).toEqual({});
  });
});
