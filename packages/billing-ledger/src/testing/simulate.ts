import type { PlanPrice, StripeEvent } from './factory.ts';
import {
  type SimCatalog,
  type SimCustomer,
  type SimCustomerDiscount,
  stripeEventsFromHistory,
} from './history.ts';
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
  /**
   * Share of customers (0..1, default 0) given customer-level coupons: attached, switched
   * (`customer.discount.updated`) and removed at random times. Drawn from a separate random
   * stream, so the other draws of a seed are the same with or without them.
   */
  customerDiscounts?: number;
}): SimCustomer[] {
  const random = seededRandom(options.seed);
  const discountRandom = seededRandom(options.seed ^ 0x5eed_c0de);
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
    const discounts = customerDiscountHistory(
      discountRandom,
      options.customerDiscounts ?? 0,
      `${prefix}${String(i).padStart(6, '0')}`,
      createdAt,
      end,
    );
    customers.push({
      id,
      email: `user${i}@example.test`,
      name: `Customer ${i}`,
      createdAt,
      subscriptions: subs,
      ...(discounts.length ? { discounts } : {}),
    });
  }
  return customers;
}

const customerCoupons: SimCustomerDiscount['coupon'][] = [
  { id: 'LOYAL10', percentOff: 10, duration: 'forever' },
  { id: 'PARTNER25', percentOff: 25, duration: 'forever' },
  { id: 'SORRY300', amountOff: 300, currency: 'usd', duration: 'repeating', durationInMonths: 2 },
  { id: 'WELCOME50', percentOff: 50, duration: 'once' },
  { id: 'SPONSORED', percentOff: 100, duration: 'forever' },
];

function customerDiscountHistory(
  random: () => number,
  share: number,
  key: string,
  createdAt: number,
  end: number,
): SimCustomerDiscount[] {
  if (share <= 0 || random() >= share) return [];
  const out: SimCustomerDiscount[] = [];
  let t = createdAt + Math.floor(random() * 60 * DAY);
  for (let n = 0; n < 3 && t < end; n++) {
    const coupon = customerCoupons[Math.floor(random() * customerCoupons.length)]!;
    const roll = random();
    const d: SimCustomerDiscount = {
      id: `di_c${key}${n}`,
      at: t,
      coupon,
      ...(n > 0 && out.at(-1)!.removedAt === undefined ? { replacesPrevious: true } : {}),
    };
    out.push(d);
    const next = t + Math.floor((15 + random() * 90) * DAY);
    if (roll < 0.4) d.removedAt = next;
    else if (roll >= 0.7) break;
    t = next + (d.removedAt !== undefined ? Math.floor(random() * 20 * DAY) + 1 : 0);
  }
  return out;
}

/** A reproducible Stripe event stream: `simulateCustomers` translated by `stripeEventsFromHistory`. */
export function simulateStripeEvents(options: {
  seed: number;
  customers: number;
  start: number;
  days: number;
  apiVersion?: string;
  prefix?: string;
  /** See `simulateCustomers`. */
  customerDiscounts?: number;
}): StripeEvent[] {
  const customers = simulateCustomers(options);
  return stripeEventsFromHistory(defaultCatalog, customers, {
    until: options.start + options.days * DAY,
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    prefix: options.prefix ?? `s${options.seed}`,
    catalogAt: options.start - DAY,
  });
}
