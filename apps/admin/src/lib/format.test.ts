import { describe, expect, it } from 'vitest';
import { change, formatMoney, formatPercent, minorUnitDigits } from './format.ts';

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
});
