import type { Pool } from '@org/db';
import {
  createTracker,
  type EnrichmentCatalog,
  type EventName,
  type EventProperties,
  enrichmentCatalog,
  postgresTransport,
} from '@org/metrics';
import type { WorldCustomer } from './world.ts';

/**
 * Product usage for the demo's customers, sent through the @org/metrics tracker and its Postgres
 * transport (the SDK's own path). Input: one entry per user, e.g. from the demo world's customers:
 *
 *   { userId, accountId, signedUpAt, churnedAt?, paidAt?, plan? }
 *
 * - `signedUpAt`: the user_signed_up instant; `churnedAt`: usage stops (mostly) after it;
 * - `paidAt`: when the customer started paying (checkout events are emitted then); null = never;
 *   absent = a random share of activated users check out;
 * - `engagement` (0..1): shapes activation and activity (the demo world's customers carry it).
 *
 * Behaviour: ~70% activate (first enrichment within days of signup), activity decays from a
 * user-specific level towards a floor (engagement decay), enrichments succeed ~92% of the time,
 * about half of the completed jobs are exported, integrations are connected now and then, and a
 * small share of pre-signup anonymous page views. Same seed + same users = the same events
 * (ids included), so a rerun inserts nothing new.
 */
export interface DemoUser {
  userId: string;
  accountId: string;
  signedUpAt: Date;
  churnedAt?: Date | null;
  paidAt?: Date | null;
  plan?: string;
  /** 0..1: how engaged the user is (shapes activation and activity); random when absent. */
  engagement?: number;
}

/** The product account of a demo customer: its company. */
export function demoAccountId(company: string): string {
  return `acct_${company.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/**
 * The demo world's customers as product users: account = the customer's company, paid from the
 * first subscription's first paid instant (trial end or start), churned when the last subscription
 * was cancelled and none followed.
 */
export function demoUsersFromWorld(customers: readonly WorldCustomer[]): DemoUser[] {
  return customers.map((c) => {
    const subs = [...c.subscriptions].sort((a, b) => a.startAt.getTime() - b.startAt.getTime());
    const first = subs[0];
    const last = subs.at(-1);
    const plan = first?.plans[0]?.product;
    return {
      userId: c.userId,
      accountId: demoAccountId(c.company),
      signedUpAt: c.signupAt,
      engagement: c.engagement,
      paidAt: first ? (first.trialEndsAt ?? first.startAt) : null,
      ...(last?.cancelRequestedAt ? { churnedAt: last.cancelRequestedAt } : {}),
      ...(plan ? { plan } : {}),
    };
  });
}

export interface ProductDemoOptions {
  pool: Pool;
  seed: number;
  users: readonly DemoUser[];
  /** No event at or after this instant. */
  asOf: Date;
  app?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface ProductDemoResult {
  app: string;
  users: number;
  tracked: number;
  inserted: number;
  dropped: number;
  failed: number;
}

type Name = EventName<EnrichmentCatalog>;
export interface DemoEvent<N extends Name = Name> {
  id: string;
  name: N;
  properties: EventProperties<EnrichmentCatalog, N>;
  userId: string | null;
  anonymousId: string | null;
  accountId: string | null;
  occurredAt: Date;
}

const DAY = 86_400_000;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hashString = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** The events of one user, in time order (pure: a function of seed, user and asOf). */
export function userEvents(seed: number, user: DemoUser, asOf: Date): DemoEvent[] {
  const rand = prng(seed ^ hashString(user.userId));
  const out: DemoEvent[] = [];
  const end = Math.min(
    asOf.getTime(),
    user.churnedAt ? user.churnedAt.getTime() + 3 * DAY : Number.POSITIVE_INFINITY,
  );
  const emit = <N extends Name>(
    name: N,
    at: number,
    properties: EventProperties<EnrichmentCatalog, N>,
    anonymous = false,
  ) => {
    if (at >= asOf.getTime()) return;
    out.push({
      id: uuidFrom(rand),
      name,
      properties,
      userId: anonymous ? null : user.userId,
      anonymousId: anonymous ? `anon-${user.userId}` : null,
      accountId: anonymous ? null : user.accountId,
      occurredAt: new Date(at),
    });
  };
  const signup = user.signedUpAt.getTime();
  if (rand() < 0.3)
    emit(
      'page_viewed',
      signup - Math.floor(rand() * 3 * DAY),
      { path: pick(rand, ['/', '/pricing', '/docs']) },
      true,
    );
  emit('user_signed_up', signup, {
    method: pick(rand, ['email', 'google', 'google', 'github'] as const),
    ...(user.plan ? { plan: user.plan } : {}),
  });

  const e = user.engagement;
  const activates = rand() < (e === undefined ? 0.7 : 0.35 + 0.6 * e);
  const level = e === undefined ? 0.15 + rand() * 0.55 : 0.08 + 0.6 * e * (0.7 + 0.3 * rand()); // daily activity probability at signup
  const tau = (10 + rand() * 80) * (e === undefined ? 1 : 0.5 + e); // days for engagement to decay by 1/e
  const floor = 0.02 + rand() * 0.12;
  const failureRate = 0.05 + rand() * 0.06;
  let integrated = false;
  let job = 0;

  const session = (at: number) => {
    if (rand() < 0.25) emit('list_uploaded', at, { rows: 100 + Math.floor(rand() * 5000) });
    const runs = 1 + Math.floor(rand() * 3);
    for (let r = 0; r < runs; r++) {
      const started = at + r * 20 * 60_000 + Math.floor(rand() * 10 * 60_000);
      const jobId = `job_${user.userId}_${job++}`;
      const source = pick(rand, ['csv', 'api', 'crm', 'webhook'] as const);
      const records = 50 + Math.floor(rand() * 2000);
      emit('enrichment_started', started, { jobId, source, records });
      const took = 30_000 + Math.floor(rand() * 600_000);
      if (rand() < failureRate) {
        emit('enrichment_failed', started + took, {
          jobId,
          source,
          reason: pick(rand, ['timeout', 'invalid_input', 'provider_error', 'quota_exceeded'] as const),
        });
      } else {
        emit('enrichment_completed', started + took, {
          jobId,
          source,
          records,
          matched: Math.floor(records * (0.5 + rand() * 0.45)),
          durationMs: took,
        });
        if (rand() < 0.5)
          emit('export_created', started + took + 60_000 + Math.floor(rand() * 600_000), {
            format: pick(rand, ['csv', 'csv', 'xlsx', 'json', 'crm_sync'] as const),
            rows: records,
          });
      }
    }
    if (!integrated && rand() < 0.04) {
      integrated = true;
      emit('integration_connected', at + 3_600_000, {
        provider: pick(rand, ['hubspot', 'salesforce', 'pipedrive', 'zapier'] as const),
      });
    }
    if (rand() < 0.1)
      emit('request_timed', at + 5 * 60_000, {
        route: '/api/enrich',
        durationMs: 80 + Math.floor(rand() * 900),
        status: 200,
      });
    if (rand() < 0.03)
      emit('error_occurred', at + 6 * 60_000, { code: 'upload_parse_error', route: '/upload' });
  };

  if (activates) {
    // First core action within days of signup (median ~1 day).
    const first = signup + Math.floor(-Math.log(1 - rand()) * 1.5 * DAY) + 10 * 60_000;
    if (first < end) session(first);
    const startDay = Math.floor(first / DAY) + 1;
    for (let day = startDay; day * DAY < end; day++) {
      const age = (day * DAY - signup) / DAY;
      const weekend = new Date(day * DAY).getUTCDay() % 6 === 0 ? 0.4 : 1;
      const p = (floor + (level - floor) * Math.exp(-age / tau)) * weekend;
      if (rand() < p) session(day * DAY + Math.floor((7 + rand() * 12) * 3_600_000));
    }
  } else {
    // Non-activated users come back once or twice in the first week, then leave.
    const visits = Math.floor(rand() * 3);
    for (let v = 0; v < visits; v++) {
      const at = signup + Math.floor((1 + rand() * 6) * DAY);
      if (at < end)
        emit('page_viewed', at, { path: pick(rand, ['/dashboard', '/pricing', '/docs/quickstart']) });
    }
  }

  // paidAt: null = never pays; absent = a random 30% of activated users check out.
  const paidAt =
    user.paidAt !== undefined
      ? (user.paidAt?.getTime() ?? null)
      : activates && rand() < 0.3
        ? signup + Math.floor((3 + rand() * 20) * DAY)
        : null;
  if (paidAt !== null && paidAt < end) {
    const plan = user.plan ?? pick(rand, ['starter', 'growth', 'scale']);
    const amount = plan === 'scale' ? 29_900 : plan === 'growth' ? 9_900 : 2_900;
    emit('checkout_started', paidAt - 5 * 60_000, { plan, amount, currency: 'usd' });
    emit('checkout_completed', paidAt, { plan, amount, currency: 'usd' });
  }
  if (user.churnedAt && user.churnedAt.getTime() < asOf.getTime())
    emit('subscription_canceled', user.churnedAt.getTime(), {
      reason: pick(rand, ['too_expensive', 'missing_feature', 'switched', 'unused']),
    });
  return out.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
}

/**
 * Generates and tracks the usage of every user through the tracker (Postgres transport), with
 * backpressure so nothing is dropped. Deterministic for a seed.
 */
export async function runProductDemo(options: ProductDemoOptions): Promise<ProductDemoResult> {
  const app = options.app ?? 'demo';
  const tracker = createTracker({
    app,
    catalog: enrichmentCatalog,
    transport: postgresTransport({ pool: options.pool }),
    batchSize: 500,
    concurrency: 2,
    maxQueue: 50_000,
    flushIntervalMs: 200,
  });
  const users = [...options.users].sort(
    (a, b) => a.signedUpAt.getTime() - b.signedUpAt.getTime() || (a.userId < b.userId ? -1 : 1),
  );
  let pending = 0;
  for (let i = 0; i < users.length; i++) {
    for (const e of userEvents(options.seed, users[i]!, options.asOf)) {
      const r = tracker.track(e.name, e.properties as never, {
        id: e.id,
        userId: e.userId,
        anonymousId: e.anonymousId,
        accountId: e.accountId,
        occurredAt: e.occurredAt,
      });
      if (!r.ok) throw r.error;
      pending++;
    }
    if (pending >= 20_000) {
      await tracker.flush();
      pending = 0;
    }
    options.onProgress?.(i + 1, users.length);
  }
  await tracker.shutdown();
  const s = tracker.stats();
  return {
    app,
    users: users.length,
    tracked: s.tracked,
    inserted: s.inserted,
    dropped: s.dropped,
    failed: s.failed,
  };
}
