import type { MetricsSnapshot } from '../snapshot.ts';

/** A fixed two-week dataset for golden-file tests of the renderers (and the CLI's). */
export const fixtureCurrent: MetricsSnapshot = {
  period: { start: '2026-11-09T00:00:00.000Z', end: '2026-11-16T00:00:00.000Z' },
  currency: 'usd',
  revenue: {
    mrr: 42_350,
    arr: 508_200,
    activeSubscriptions: 31,
    payingCustomers: 29,
    arpa: 1_460,
    newRevenue: 4_900,
    movements: { new: 3_900, reactivation: 1_000, expansion: 1_200, contraction: 400, churn: 2_900 },
    cashCollected: 51_200,
    refunds: 1_900,
    customerChurnRate: 0.069,
    grossMrrChurn: 0.083,
    netMrrChurn: -0.051,
    quickRatio: 1.86,
    mrrSeries: [
      { date: '2026-11-09', value: 38_550 },
      { date: '2026-11-10', value: 39_450 },
      { date: '2026-11-11', value: 39_450 },
      { date: '2026-11-12', value: 40_850 },
      { date: '2026-11-13', value: 41_850 },
      { date: '2026-11-14', value: 41_350 },
      { date: '2026-11-15', value: 42_350 },
    ],
  },
  users: { total: 1_240, new: 96, active: 410, activationRate: 0.44 },
  engagement: {
    dau: 118,
    wau: 410,
    mau: 870,
    stickiness: 0.131,
    dauOverWau: 0.288,
    dauSeries: [
      { date: '2026-11-09', value: 96 },
      { date: '2026-11-10', value: 131 },
      { date: '2026-11-11', value: 127 },
      { date: '2026-11-12', value: 122 },
      { date: '2026-11-13', value: 119 },
      { date: '2026-11-14', value: 84 },
      { date: '2026-11-15', value: 118 },
    ],
  },
  product: {
    features: [
      { feature: 'enrichment', users: 302, events: 9_870 },
      { feature: 'export_csv', users: 121, events: 640 },
      { feature: 'api_call', users: 44, events: 21_300 },
    ],
    coreAction: { name: 'enrichment_completed', attempts: 10_400, successes: 9_870, successRate: 0.949 },
  },
  funnel: {
    windowDays: 14,
    steps: [
      { name: 'user_signed_up', users: 96 },
      {
        name: 'enrichment_completed',
        users: 43,
        conversionFromPrevious: 0.448,
        medianSecondsFromPrevious: 5_400,
      },
      {
        name: 'checkout_completed',
        users: 5,
        conversionFromPrevious: 0.116,
        medianSecondsFromPrevious: 302_400,
      },
    ],
    signupToCoreAction: 0.448,
    coreActionToPayment: 0.116,
  },
  ledger: { failedPayments: 3, failedPaymentAmount: 8_700, deadWebhooks: 1, pendingWebhooks: 0 },
};

export const fixturePrevious: MetricsSnapshot = {
  period: { start: '2026-11-02T00:00:00.000Z', end: '2026-11-09T00:00:00.000Z' },
  currency: 'usd',
  revenue: {
    mrr: 38_550,
    arr: 462_600,
    activeSubscriptions: 29,
    payingCustomers: 27,
    arpa: 1_428,
    newRevenue: 2_900,
    movements: { new: 2_900, reactivation: 0, expansion: 800, contraction: 300, churn: 1_500 },
    cashCollected: 44_100,
    refunds: 0,
    customerChurnRate: 0.037,
    grossMrrChurn: 0.048,
    netMrrChurn: 0.027,
    quickRatio: 1.93,
  },
  users: { total: 1_144, new: 128, active: 388, activationRate: 0.47 },
  engagement: { dau: 121, wau: 388, mau: 842, stickiness: 0.142, dauOverWau: 0.312 },
  product: {
    features: [
      { feature: 'enrichment', users: 288, events: 9_100 },
      { feature: 'export_csv', users: 130, events: 700 },
    ],
    coreAction: { name: 'enrichment_completed', attempts: 9_500, successes: 9_100, successRate: 0.958 },
  },
  funnel: { windowDays: 14, steps: [], signupToCoreAction: 0.52, coreActionToPayment: 0.13 },
  ledger: { failedPayments: 1, deadWebhooks: 0 },
};
