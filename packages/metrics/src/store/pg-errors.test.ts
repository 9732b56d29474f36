import { describe, expect, it } from 'vitest';
import { classifyDbError } from './pg-errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyDbError', () => {
  it('blames the content for data, constraint and program-limit errors', () => {
    for (const code of ['22P05', '22021', '22008', '23514', '23502', '54001'])
      expect(classifyDbError(withCode(code))).toBe('content');
  });
  it('retries deadlocks and serialization failures', () => {
    expect(classifyDbError(withCode('40P01'))).toBe('conflict');
    expect(classifyDbError(withCode('40001'))).toBe('conflict');
  });
  it('calls lost or refused connections, shutdowns, timeouts and exhausted resources unavailable', () => {
    for (const code of [
      '08006',
      '08001',
      '57P01',
      '57P03',
      '57014',
      '55P03',
      '53300',
      'ECONNREFUSED',
      'ECONNRESET',
    ])
      expect(classifyDbError(withCode(code)), code).toBe('unavailable');
    expect(classifyDbError(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(classifyDbError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
  });
  it('leaves anything else to the 500 path', () => {
    expect(classifyDbError(withCode('42P01'))).toBe('other');
    expect(classifyDbError(new TypeError('x is undefined'))).toBe('other');
    expect(classifyDbError(undefined)).toBe('other');
  });
});
