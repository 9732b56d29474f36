/**
 * The ordering guard's version key. A write to a mirror row applies only when its key
 * (at, rank, eventId) is greater than the row's, so any delivery order ends in the state of the
 * greatest key. `rank` orders events of the same second by the object's lifecycle (a `canceled`
 * subscription beats an `active` one of the same second); the event id breaks remaining ties.
 */
export interface VersionKey {
  /** Event `created` (epoch seconds), or the observation time for backfills. */
  at: number;
  rank: number;
  /** Stripe event id; '' for objects observed outside an event (backfill). */
  eventId: string;
}

export function compareKeys(a: VersionKey, b: VersionKey): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

const lifecycle: Record<string, Record<string, number>> = {
  subscription: {
    incomplete: 0,
    trialing: 1,
    active: 2,
    past_due: 3,
    paused: 4,
    unpaid: 5,
    incomplete_expired: 6,
    canceled: 7,
  },
  invoice: { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 4 },
  payment_intent: {
    requires_payment_method: 0,
    requires_confirmation: 1,
    requires_action: 2,
    processing: 3,
    requires_capture: 4,
    canceled: 5,
    succeeded: 6,
  },
  charge: { pending: 0, failed: 1, succeeded: 2 },
  refund: { pending: 0, requires_action: 1, failed: 2, canceled: 2, succeeded: 3 },
  dispute: {
    warning_needs_response: 0,
    warning_under_review: 1,
    needs_response: 2,
    under_review: 3,
    warning_closed: 4,
    won: 5,
    lost: 5,
  },
  'checkout.session': { open: 0, expired: 1, complete: 2 },
};

/**
 * Lifecycle rank of an object state: its status's place in the lifecycle, then deletion, then
 * (charges) the amount refunded so far, which only grows.
 */
export function lifecycleRank(
  kind: string,
  status: string | null | undefined,
  extra: { deleted?: boolean; amountRefunded?: number; paid?: boolean } = {},
): number {
  const base = (status !== null && status !== undefined ? lifecycle[kind]?.[status] : undefined) ?? 0;
  let rank = base * 10 + (extra.deleted ? 9 : extra.paid ? 1 : 0);
  if (extra.amountRefunded !== undefined)
    rank = rank * 1_000_000_000_000 + Math.max(0, Math.min(extra.amountRefunded, 999_999_999_999));
  return rank;
}
