import type { PlanPrice, StripeEvent } from './factory.ts';
import { type SimCatalog, type SimCustomer, stripeEventsFromHistory } from './history.ts';
import { seededRandom } from './rng.ts';

const DAY = 86_400;

export const defaultCatalog: SimCatalog = {
  products: [
    { id: 'prod_starter', name: 'Starter' },
    { id: 'prod_pro', name: 'Pro' },
    { id: 'prod_business', name: 'Business' },
  ],
  prices: [
    {
      id: 'price_starter_m',
      product: 'prod_starter',
      unitAmount: 1900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Starter monthly',
    },
    {
      id: 'price_starter_y',
      product: 'prod_starter',
      unitAmount: 19000,
      currency: 'usd',
      interval: 'year',
      intervalCount: 1,
      nickname: 'Starter annual',
    },
    {
      id: 'price_pro_m',
      product: 'prod_pro',
      unitAmount: 4900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Pro monthly',
    },
    {
      id: 'price_pro_y',
      product: 'prod_pro',
      unitAmount: 49000,
      currency: 'usd',
      interval: 'year',
      intervalCount: 1,
      nickname: 'Pro annual',
    },
    {
      id: 'price_business_m',
      product: 'prod_business',
      unitAmount: 9900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Business monthly',
    },
  ],
};

/**
 * Random but reproducible customer histories for tests and benchmarks: trials, upgrades,
 * downgrades, coupons, failed payments, refunds, cancellations and reactivations.
 */
export function simulateCustomers(options: {
  seed: number;
  customers: number;
  start: number;
  days: number;
  catalog?: SimCatalog;
  idPrefix?: string;
}): SimCustomer[] {
  const random = seededRandom(options.seed);
  const catalog = options.catalog ?? defaultCatalog;
  const monthly = catalog.prices.filter((p) => p.interval === 'month');
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const end = options.start + options.days * DAY;
  const prefix = options.idPrefix ?? 's';
  const customers: SimCustomer[] = [];
  for (let i = 0; i < options.customers; i++) {
    const createdAt = options.start + Math.floor(random() * options.days * 0.8 * DAY);
    const id = `cus_${prefix}${String(i).padStart(6, '0')}`;
    const subs: SimCustomer['subscriptions'] = [];
    let t = createdAt + Math.floor(random() * 3 * DAY);
    let n = 0;
    while (t < end && n < 3) {
      const price: PlanPrice =
        random() < 0.15
          ? pick(
              catalog.prices.filter((p) => p.interval === 'year').length
                ? catalog.prices.filter((p) => p.interval === 'year')
                : monthly,
            )
          : pick(monthly);
      const phases = [{ at: t, price, quantity: 1 + (random() < 0.2 ? Math.floor(random() * 4) : 0) }];
      if (price.interval === 'month' && random() < 0.3) {
        const other = pick(monthly);
        phases.push({
          at: t + Math.floor((20 + random() * 100) * DAY),
          price: other,
          quantity: phases[0]!.quantity + (random() < 0.3 ? 1 : 0),
        });
      }
      const cancel = random() < 0.35 ? t + Math.floor((10 + random() * options.days) * DAY) : undefined;
      const sub: SimCustomer['subscriptions'][number] = {
        id: `sub_${prefix}${String(i).padStart(6, '0')}${n}`,
        startAt: t,
        trialDays: n === 0 && random() < 0.4 ? 14 : 0,
        phases,
        ...(random() < 0.15
          ? {
              coupon:
                random() < 0.5
                  ? { id: 'LAUNCH20', percentOff: 20, duration: 'forever' as const }
                  : { id: 'FIRST3', amountOff: 500, duration: 'repeating' as const, durationInMonths: 3 },
            }
          : {}),
        ...(cancel !== undefined ? { cancelRequestedAt: cancel } : {}),
        ...(random() < 0.15
          ? { failedPeriods: [1 + Math.floor(random() * 3)], unrecoverable: random() < 0.3 }
          : {}),
        ...(random() < 0.08 ? { refunds: [{ period: 0, fraction: random() < 0.5 ? 1 : 0.5 }] } : {}),
      };
      subs.push(sub);
      n++;
      if (cancel === undefined || random() < 0.6) break;
      t = cancel + Math.floor((30 + random() * 90) * DAY);
    }
    customers.push({
      id,
      email: `user${i}@example.test`,
      name: `Customer ${i}`,
      createdAt,
      subscriptions: subs,
    });
  }
  return customers;
}

/** A reproducible Stripe event stream: `simulateCustomers` translated by `stripeEventsFromHistory`. */
export function simulateStripeEvents(options: {
  seed: number;
  customers: number;
  start: number;
  days: number;
  apiVersion?: string;
  prefix?: string;
}): StripeEvent[] {
  const customers = simulateCustomers(options);
  return stripeEventsFromHistory(defaultCatalog, customers, {
    until: options.start + options.days * DAY,
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    prefix: options.prefix ?? `s${options.seed}`,
    catalogAt: options.start - DAY,
  });
}
