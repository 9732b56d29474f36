import { describe, expect, it } from 'vitest';
import { describeRevenueChoices, revenueChoices } from './choices.ts';

describe('revenue choices', () => {
  it('default to METRICS.md: convert, end of the final period, metered usage not MRR', () => {
    expect(revenueChoices('USD')).toEqual({
      currency: 'usd',
      currencies: 'convert',
      cancellation: 'period_end',
      meteredUsage: 'exclude',
    });
    expect(revenueChoices('eur', { cancellation: 'request', meteredUsage: 'last_period' })).toMatchObject({
      cancellation: 'request',
      meteredUsage: 'last_period',
    });
  });
  it('describe every choice in a sentence', () => {
    const defaults = describeRevenueChoices(revenueChoices('jpy'));
    const options = describeRevenueChoices(
      revenueChoices('jpy', { currencies: 'only', cancellation: 'request', meteredUsage: 'last_period' }),
    );
    expect(defaults[0]).toMatch(/converted to JPY/);
    expect(options[0]).toMatch(/only amounts billed in JPY/);
    expect(defaults[1]).toMatch(/end of the final service period/);
    expect(options[1]).toMatch(/requested/);
    expect(defaults[2]).toMatch(/not MRR/);
    expect(options[2]).toMatch(/last closed period/);
    expect(defaults.length).toBe(options.length);
  });
});
