import {
  type PlanPrice,
  type SimCatalog,
  type SimSubscription,
  seededRandom,
} from '@org/billing-ledger/testing';

/**
 * The demo's SaaS: a seeded, deterministic model of customers signing up over `months` months,
 * some subscribing (trials, monthly or annual plans at several prices, seats, coupons), upgrading,
 * downgrading, failing payments, getting refunds, cancelling and coming back. The same seed gives
 * the same world. Product-event generators use `customers` (signup dates, plan history) so usage
 * and billing describe the same people.
 */
export interface WorldOptions {
  seed?: number;
  customers?: number;
  months?: number;
  /** First day of the world (UTC). Default 2025-11-01, so 12 months end on 2026-11-01. */
  start?: Date;
  /** Exclusive end of the world (UTC): when given, the world starts `months` months before it. */
  end?: Date;
}

export interface PlanChange {
  at: Date;
  priceId: string;
  product: string;
  interval: PlanPrice['interval'];
  unitAmount: number;
  quantity: number;
  /** Normalised monthly amount before discounts (minor units). */
  monthlyAmount: number;
}

export interface WorldSubscription {
  id: string;
  startAt: Date;
  trialEndsAt: Date | null;
  plans: PlanChange[];
  coupon: string | null;
  cancelRequestedAt: Date | null;
  failedPayment: boolean;
  refunded: boolean;
}

export interface WorldCustomer {
  /** Product user id (what @org/metrics events carry). */
  userId: string;
  /** Stripe customer id, null for users who never paid. */
  stripeCustomerId: string | null;
  email: string;
  name: string;
  company: string;
  signupAt: Date;
  /** 0..1 how engaged the user is; paying and long-lived users skew high. */
  engagement: number;
  subscriptions: WorldSubscription[];
  /** Internal: the history handed to the Stripe event translator. */
  sim: SimSubscription[];
}

export interface World {
  seed: number;
  start: Date;
  end: Date;
  months: number;
  catalog: SimCatalog;
  customers: WorldCustomer[];
}

const DAY = 86_400;

export const demoCatalog: SimCatalog = {
  products: [
    { id: 'prod_demo_starter', name: 'Starter' },
    { id: 'prod_demo_pro', name: 'Pro' },
    { id: 'prod_demo_business', name: 'Business' },
    { id: 'prod_demo_team', name: 'Team seats' },
  ],
  prices: [
    {
      id: 'price_demo_starter_m',
      product: 'prod_demo_starter',
      unitAmount: 1900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Starter monthly',
    },
    {
      id: 'price_demo_starter_y',
      product: 'prod_demo_starter',
      unitAmount: 19000,
      currency: 'usd',
      interval: 'year',
      intervalCount: 1,
      nickname: 'Starter annual',
    },
    {
      id: 'price_demo_pro_m',
      product: 'prod_demo_pro',
      unitAmount: 4900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Pro monthly',
    },
    {
      id: 'price_demo_pro_y',
      product: 'prod_demo_pro',
      unitAmount: 49000,
      currency: 'usd',
      interval: 'year',
      intervalCount: 1,
      nickname: 'Pro annual',
    },
    {
      id: 'price_demo_business_m',
      product: 'prod_demo_business',
      unitAmount: 14900,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Business monthly',
    },
    {
      id: 'price_demo_business_y',
      product: 'prod_demo_business',
      unitAmount: 149000,
      currency: 'usd',
      interval: 'year',
      intervalCount: 1,
      nickname: 'Business annual',
    },
    {
      id: 'price_demo_team_m',
      product: 'prod_demo_team',
      unitAmount: 1200,
      currency: 'usd',
      interval: 'month',
      intervalCount: 1,
      nickname: 'Team seat monthly',
    },
  ],
};

const coupons = {
  LAUNCH20: { id: 'LAUNCH20', percentOff: 20, duration: 'forever' as const },
  WELCOME50: { id: 'WELCOME50', percentOff: 50, duration: 'repeating' as const, durationInMonths: 3 },
  ONCE10: { id: 'ONCE10', percentOff: 10, duration: 'once' as const },
  SAVE5: { id: 'SAVE5', amountOff: 500, duration: 'repeating' as const, durationInMonths: 6 },
};

const firstNames = [
  'Ada',
  'Grace',
  'Alan',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Radia',
  'Tim',
  'Frances',
  'Guido',
  'Sophie',
  'Yukihiro',
  'Anders',
  'Katherine',
  'Edsger',
  'Hedy',
  'John',
  'Leslie',
];
const lastNames = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Perlman',
  'Lee',
  'Allen',
  'Rossum',
  'Wilson',
  'Matsumoto',
  'Hejlsberg',
  'Johnson',
  'Dijkstra',
  'Lamarr',
  'Backus',
  'Lamport',
];
const companies = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Stark',
  'Wayne',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Wonka',
  'Aperture',
  'Pied Piper',
  'Dunder',
];

function addMonths(t: number, months: number): number {
  const d = new Date(t * 1000);
  return Math.floor(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
    ) / 1000,
  );
}

const monthly = (p: PlanPrice, quantity: number) =>
  Math.round((p.unitAmount * quantity) / (p.interval === 'year' ? 12 * p.intervalCount : p.intervalCount));

export function buildWorld(options: WorldOptions = {}): World {
  const seed = options.seed ?? 42;
  const total = options.customers ?? 2000;
  const months = options.months ?? 12;
  const start = options.end
    ? new Date(addMonths(Math.floor(options.end.getTime() / 1000), -months) * 1000)
    : (options.start ?? new Date('2025-11-01T00:00:00Z'));
  const startS = Math.floor(start.getTime() / 1000);
  const endS = options.end ? Math.floor(options.end.getTime() / 1000) : addMonths(startS, months);
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const price = (id: string) => demoCatalog.prices.find((p) => p.id === id)!;
  const tiers = ['starter', 'pro', 'business'] as const;
  const span = endS - startS;

  const customers: WorldCustomer[] = [];
  for (let i = 0; i < total; i++) {
    // Signups grow over time: density rises linearly (sqrt of a uniform draw).
    const signup = startS + Math.floor(Math.sqrt(random()) * span * 0.97) + Math.floor(random() * 3600);
    const first = pick(firstNames);
    const last = pick(lastNames);
    const company = `${pick(companies)} ${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26)}`;
    const engagement = Math.min(1, Math.max(0, 0.25 + random() * 0.6 + (random() < 0.2 ? 0.2 : 0)));
    const pays = random() < 0.3 + engagement * 0.45;
    const userId = `user_${String(i).padStart(6, '0')}`;
    const sims: SimSubscription[] = [];
    const subs: WorldSubscription[] = [];
    if (pays) {
      let t = signup + Math.floor((0.2 + random() * 10) * DAY);
      let n = 0;
      while (t < endS - DAY && n < 3) {
        const seats = random() < 0.12;
        const tier = pick(tiers);
        const annual = !seats && random() < 0.2;
        let p = seats ? price('price_demo_team_m') : price(`price_demo_${tier}_${annual ? 'y' : 'm'}`);
        let quantity = seats ? 2 + Math.floor(random() * 12) : 1;
        const trialDays = n === 0 && random() < 0.5 ? 14 : 0;
        const phases: SimSubscription['phases'] = [{ at: t, price: p, quantity }];
        // Plan changes: upgrades more often than downgrades; seat counts drift.
        let at = t + (trialDays + 20 + Math.floor(random() * 120)) * DAY;
        while (at < endS && random() < 0.35) {
          if (seats) {
            quantity = Math.max(1, quantity + (random() < 0.7 ? 1 + Math.floor(random() * 3) : -1));
          } else if (p.interval === 'month') {
            const idx = tiers.findIndex((x) => p.id.includes(x));
            const up = random() < 0.72;
            const next = tiers[Math.min(tiers.length - 1, Math.max(0, idx + (up ? 1 : -1)))]!;
            if (next === tiers[idx]) break;
            p = price(`price_demo_${next}_m`);
          } else break;
          phases.push({ at, price: p, quantity });
          at += (30 + Math.floor(random() * 120)) * DAY;
        }
        // Monthly cancellation hazard, lower for engaged users and annual plans.
        const hazard = (annual ? 0.015 : 0.05) * (1.4 - engagement);
        let cancel: number | undefined;
        for (let m = 1; m <= months + 1; m++) {
          if (random() < hazard) {
            cancel = t + Math.floor((m - 1 + random()) * 30 * DAY) + trialDays * DAY;
            break;
          }
        }
        if (cancel === undefined && trialDays > 0 && random() < 0.12)
          cancel = t + Math.floor(random() * trialDays * DAY);
        const couponRoll = random();
        const coupon =
          couponRoll < 0.08
            ? coupons.LAUNCH20
            : couponRoll < 0.13
              ? coupons.WELCOME50
              : couponRoll < 0.17
                ? coupons.ONCE10
                : couponRoll < 0.19 && p.unitAmount >= 1900
                  ? coupons.SAVE5
                  : undefined;
        const failed = random() < 0.08;
        const refunded = random() < 0.04;
        const id = `sub_demo${String(i).padStart(6, '0')}${n}`;
        sims.push({
          id,
          startAt: t,
          trialDays,
          phases,
          ...(coupon ? { coupon } : {}),
          ...(cancel !== undefined ? { cancelRequestedAt: cancel } : {}),
          ...(failed ? { failedPeriods: [1 + Math.floor(random() * 4)], unrecoverable: random() < 0.3 } : {}),
          ...(refunded
            ? { refunds: [{ period: Math.floor(random() * 2), fraction: random() < 0.6 ? 1 : 0.5 }] }
            : {}),
        });
        subs.push({
          id,
          startAt: new Date(t * 1000),
          trialEndsAt: trialDays ? new Date((t + trialDays * DAY) * 1000) : null,
          plans: phases.map((ph) => ({
            at: new Date(ph.at * 1000),
            priceId: ph.price.id,
            product: ph.price.product,
            interval: ph.price.interval,
            unitAmount: ph.price.unitAmount,
            quantity: ph.quantity,
            monthlyAmount: monthly(ph.price, ph.quantity),
          })),
          coupon: coupon?.id ?? null,
          cancelRequestedAt: cancel !== undefined ? new Date(cancel * 1000) : null,
          failedPayment: failed,
          refunded,
        });
        n++;
        if (cancel === undefined) break;
        // A quarter of churned customers come back one to four months later.
        if (random() >= 0.25) break;
        t = cancel + Math.floor((30 + random() * 90) * DAY);
      }
    }
    customers.push({
      userId,
      stripeCustomerId: sims.length ? `cus_demo${String(i).padStart(6, '0')}` : null,
      email: `${first.toLowerCase()}.${last.toLowerCase()}${i}@${company.split(' ')[0]!.toLowerCase()}.example`,
      name: `${first} ${last}`,
      company,
      signupAt: new Date(signup * 1000),
      engagement: Math.round(engagement * 1000) / 1000,
      subscriptions: subs,
      sim: sims,
    });
  }
  customers.sort((a, b) => a.signupAt.getTime() - b.signupAt.getTime() || (a.userId < b.userId ? -1 : 1));
  return { seed, start, end: new Date(endS * 1000), months, catalog: demoCatalog, customers };
}
