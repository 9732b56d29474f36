import { describe, expect, it } from 'vitest';
import {
  type FxRateRow,
  missingFxRateMessage,
  parseFxCsv,
  rateDayOf,
  resolveRates,
  validateFxRate,
} from './fx.ts';

const row = (base: string, quote: string, rateDate: string, rate: string): FxRateRow => ({
  base,
  quote,
  rateDate,
  rate,
});

describe('resolveRates', () => {
  it('uses the latest rate on or before each day, one segment per stored rate', () => {
    const r = resolveRates(
      [
        row('eur', 'usd', '2026-01-01', '1.1000000000'),
        row('eur', 'usd', '2026-02-01', '1.2000000000'),
        row('eur', 'usd', '2026-03-01', '1.3000000000'),
        row('eur', 'usd', '2026-04-01', '1.4000000000'),
      ],
      [{ currency: 'eur', firstDay: '2026-01-15' }],
      'usd',
      '2026-03-10',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.segments.filter((s) => s.currency === 'eur').map((s) => [s.fromDay, s.toDay])).toEqual([
      ['2026-01-01', '2026-02-01'],
      ['2026-02-01', '2026-03-01'],
      ['2026-03-01', null],
    ]);
    expect(r.value.used.map((u) => [u.rateDate, u.from, u.until])).toEqual([
      ['2026-01-01', '2026-01-15', '2026-01-31'],
      ['2026-02-01', '2026-02-01', '2026-02-28'],
      ['2026-03-01', '2026-03-01', '2026-03-10'],
    ]);
    // The reporting currency converts to itself.
    expect(r.value.segments[0]).toEqual({
      currency: 'usd',
      fromDay: null,
      toDay: null,
      factor: { num: 1n, den: 1n },
    });
  });
  it('falls back to the inverse of the opposite pair; on the same date the direct rate wins', () => {
    const r = resolveRates(
      [
        row('usd', 'jpy', '2026-01-01', '150'),
        row('usd', 'jpy', '2026-02-01', '160'),
        row('jpy', 'usd', '2026-02-01', '0.0065'),
      ],
      [{ currency: 'jpy', firstDay: '2026-01-10' }],
      'usd',
      '2026-02-10',
    );
    if (!r.ok) throw new Error('expected rates');
    const jpy = r.value.segments.filter((s) => s.currency === 'jpy');
    // 1 JPY = 1/150 USD: 1 yen -> 100/150 cents.
    expect(jpy[0]!.factor).toEqual({ num: 2n, den: 3n });
    // 1 JPY = 0.0065 USD (direct) -> 0.65 cents per yen.
    expect(jpy[1]!.factor).toEqual({ num: 13n, den: 20n });
    expect(r.value.used.map((u) => [u.base, u.quote, u.rateDate, u.inverse])).toEqual([
      ['jpy', 'usd', '2026-01-01', true],
      ['jpy', 'usd', '2026-02-01', false],
    ]);
  });
  it('names the pair and the first day without a rate', () => {
    const r = resolveRates(
      [row('eur', 'usd', '2026-02-01', '1.1')],
      [
        { currency: 'eur', firstDay: '2026-01-20' },
        { currency: 'gbp', firstDay: '2026-02-05' },
      ],
      'usd',
      '2026-03-01',
    );
    expect(r).toEqual({ ok: false, error: { base: 'eur', quote: 'usd', date: '2026-01-20' } });
    if (r.ok) return;
    expect(missingFxRateMessage(r.error)).toMatch(/EUR->USD on or before 2026-01-20/);
  });
  it('needs nothing for the reporting currency itself', () => {
    const r = resolveRates([], [{ currency: 'usd', firstDay: '2026-01-01' }], 'usd', '2026-02-01');
    expect(r.ok && r.value.used).toEqual([]);
  });
  it('rate day of an instant is the day just before it', () => {
    expect(rateDayOf(new Date('2026-03-01T00:00:00Z'))).toBe('2026-02-28');
    expect(rateDayOf(new Date('2026-03-01T05:00:00Z'))).toBe('2026-03-01');
  });
});

describe('rate input', () => {
  it('validates currencies, dates and rates', () => {
    expect(validateFxRate({ base: 'EUR', quote: 'usd', date: '2026-01-01', rate: '1.08' })).toEqual({
      ok: true,
      value: { base: 'eur', quote: 'usd', date: '2026-01-01', rate: '1.08' },
    });
    expect(validateFxRate({ base: 'euro', quote: 'usd', date: '2026-01-01', rate: '1' }).ok).toBe(false);
    expect(validateFxRate({ base: 'usd', quote: 'usd', date: '2026-01-01', rate: '1' }).ok).toBe(false);
    expect(validateFxRate({ base: 'eur', quote: 'usd', date: '2026-02-30', rate: '1' }).ok).toBe(false);
    expect(validateFxRate({ base: 'eur', quote: 'usd', date: '2026-02-03', rate: '0' }).ok).toBe(false);
    expect(validateFxRate({ base: 'eur', quote: 'usd', date: '2026-02-03', rate: '1.12345678901' }).ok).toBe(
      false,
    );
  });
  it('parses a CSV with a header in any order, reporting the bad line', () => {
    const ok = parseFxCsv(
      '# ECB\ndate,base,quote,rate,source\n2026-01-01,eur,usd,1.08,ecb\n\n2026-01-02,EUR,USD,1.09,\n',
    );
    expect(ok).toEqual({
      ok: true,
      value: [
        { base: 'eur', quote: 'usd', date: '2026-01-01', rate: '1.08', source: 'ecb' },
        { base: 'eur', quote: 'usd', date: '2026-01-02', rate: '1.09' },
      ],
    });
    expect(parseFxCsv('base,quote,date,rate\neur,usd,2026-01-01,abc')).toEqual({
      ok: false,
      error: { line: 2, message: 'rate must be a positive decimal with at most 10 decimals, not "abc"' },
    });
    expect(parseFxCsv('base,quote,rate\n').ok).toBe(false);
    expect(parseFxCsv('').ok).toBe(false);
  });
});
