import { describe, expect, it } from 'vitest';
import {
  change,
  formatCount,
  formatMoney,
  formatPercent,
  formatRatio,
  formatUnit,
  minorUnitDigits,
} from './format.ts';

describe('format', () => {
  it('formats minor units in the currency', () => {
    expect(formatMoney(123456, 'usd')).toBe('$1,234.56');
    expect(formatMoney(1234, 'jpy')).toBe('¥1,234');
    expect(minorUnitDigits('eur')).toBe(2);
    expect(formatMoney(null, 'usd')).toBe('—');
  });
  it('formats ratios and changes', () => {
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(change(110, 100)).toBeCloseTo(0.1);
    expect(change(5, 0)).toBeNull();
  });
  it('never shows a negative zero', () => {
    expect(formatMoney(-0, 'usd')).toBe('$0.00');
    expect(formatMoney(-0.4, 'usd')).toBe('$0.00');
    expect(formatMoney(-4, 'usd', true)).toBe('$0');
    expect(formatMoney(-1250, 'usd')).toBe('-$12.50');
    expect(formatPercent(-0.00001)).toBe('0.0%');
    expect(formatPercent(-0.012)).toBe('-1.2%');
    expect(formatRatio(-0.001)).toBe('0.00');
    expect(formatCount(-0)).toBe('0');
    expect(formatCount(-0.2)).toBe('0');
    expect(formatCount(-1200)).toBe('-1,200');
  });
});

describe('money with Stripe exponents (the ledger formatter)', () => {
  it('formats HUF and ISK in hundredths, JPY whole, KWD in thousandths', () => {
    expect(formatMoney(150000, 'huf')).toBe('HUF\u00a01,500.00');
    expect(formatMoney(150000, 'isk')).toBe('ISK\u00a01,500.00');
    expect(formatMoney(150000, 'jpy')).toBe('¥150,000');
    expect(formatMoney(1234, 'kwd')).toBe('KWD\u00a01.234');
    expect(formatMoney(-150000, 'huf')).toBe('-HUF\u00a01,500.00');
    expect(formatMoney(150000, 'huf', true)).toBe('HUF\u00a01.5K');
    expect(minorUnitDigits('huf')).toBe(2);
    expect(minorUnitDigits('kwd')).toBe(3);
  });
  it('formats catalog units', () => {
    expect(formatUnit('money', 150000, 'isk')).toBe('ISK\u00a01,500.00');
    expect(formatUnit('ratio', 0.1234, 'usd')).toBe('12.3%');
    expect(formatUnit('count', 1234, 'usd')).toBe('1,234');
    expect(formatUnit('number', 113.856, 'usd')).toBe('113.86');
    expect(formatUnit('number', -0.001, 'usd')).toBe('0');
    expect(formatUnit('count', null, 'usd')).toBe('—');
  });
});
