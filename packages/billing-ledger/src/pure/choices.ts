/**
 * The configurable choices of METRICS.md ("Revenue") that a revenue report makes, with their
 * defaults. Every report returns the choices it used and prints them (`describeRevenueChoices`).
 */

/**
 * `convert` (default): every currency, converted into the report's currency with the rate of each
 * movement's day (MRR at an instant with the rate of the day it closes); exchange-rate changes
 * alone are no movement and show as the `fxEffect` line. `only`: only amounts kept in the report's
 * currency, unconverted (MRR per currency).
 */
export type CurrencyMode = 'convert' | 'only';

/** When a cancellation takes MRR away: at the end of the final service period (default) or at the request. */
export type CancellationRecognition = 'period_end' | 'request';

/** Metered prices: not MRR (default) or MRR = the last closed period's usage (from paid invoices). */
export type MeteredUsage = 'exclude' | 'last_period';

export interface RevenueOptions {
  currencies?: CurrencyMode | undefined;
  cancellation?: CancellationRecognition | undefined;
  meteredUsage?: MeteredUsage | undefined;
}

export interface RevenueChoices {
  /** The report's currency (minor units). */
  currency: string;
  currencies: CurrencyMode;
  cancellation: CancellationRecognition;
  meteredUsage: MeteredUsage;
}

export const defaultRevenueOptions: Required<{
  [K in keyof RevenueOptions]: NonNullable<RevenueOptions[K]>;
}> = {
  currencies: 'convert',
  cancellation: 'period_end',
  meteredUsage: 'exclude',
};

export function revenueChoices(currency: string, options: RevenueOptions = {}): RevenueChoices {
  return {
    currency: currency.toLowerCase(),
    currencies: options.currencies ?? defaultRevenueOptions.currencies,
    cancellation: options.cancellation ?? defaultRevenueOptions.cancellation,
    meteredUsage: options.meteredUsage ?? defaultRevenueOptions.meteredUsage,
  };
}

/** One line per choice, for reports to print. */
export function describeRevenueChoices(c: RevenueChoices): string[] {
  const cur = c.currency.toUpperCase();
  return [
    c.currencies === 'convert'
      ? `Currencies: all, converted to ${cur} with fx_rates (movements at the rate of their day, MRR at the rate of the day it closes; rate changes alone show as FX effect, not movements)`
      : `Currencies: only amounts billed in ${cur}, not converted`,
    c.cancellation === 'request'
      ? 'Cancellation: MRR ends when the cancellation is requested'
      : 'Cancellation: MRR ends at the end of the final service period',
    c.meteredUsage === 'last_period'
      ? "Metered prices: MRR includes the last closed period's usage (paid invoices)"
      : 'Metered prices: not MRR; usage revenue reported from paid invoices',
    'Discounts: forever and repeating coupons reduce MRR while they apply, once coupons do not; a customer-level coupon applies to subscriptions without their own',
    'Trials: MRR 0 while trialing; tax excluded; refunds only in cash; movements per customer per UTC day',
  ];
}
