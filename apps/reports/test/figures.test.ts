import { revenueSummary } from '@org/billing-ledger';
import { createTestDatabase, type TestDatabase } from '@org/db/testing';
import {
  defaultActivation,
  defaultFunnelSteps,
  defaultFunnelWindowDays,
  type FigureKey,
  figure,
  figureCatalog,
  formatFigure,
  type GrowthReport,
  growthReportSchema,
} from '@org/insights';
import { activationRate, activeUsers, funnel, stickiness, userCounts } from '@org/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_AS_OF, loadDataset } from './fixtures/dataset.ts';
import { runCli } from './support.ts';

/**
 * One seeded dataset, one period (the 30 days to DATASET_AS_OF): every figure the CLI prints
 * under a figure-catalog key is the growth report's figure of that key and the package
 * function's number, and the text output shows it under the catalog's label.
 */
const DAYS = 30;
const TO = new Date(`${DATASET_AS_OF}T00:00:00.000Z`);
const FROM = new Date(TO.getTime() - DAYS * 86_400_000);
const from = FROM.toISOString().slice(0, 10);
const CURRENCY = 'usd';

/** Figures the issue names: each must be printed by the CLI and be in the report. */
const REQUIRED: FigureKey[] = [
  'users.activationRate',
  'funnel.signupToCoreAction',
  'funnel.coreActionToPayment',
  'revenue.grossCashCollected',
  'revenue.cashCollected',
  'revenue.mrr',
  'revenue.activeSubscriptions',
];

type Figures = Partial<Record<FigureKey, number | null>>;

let db: TestDatabase;
let env: Record<string, string>;
/** The numbers as the package functions compute them, by catalog key (written out here, not taken from the CLI). */
let direct: Figures;
let report: GrowthReport;
let kpis: { figures: Figures; activation: { rate: number | null }; funnel: FunnelStepJson[] } & Record<
  string,
  unknown
>;
let revenue: { figures: Figures; cash: Record<string, number> } & Record<string, unknown>;

interface FunnelStepJson {
  name: string;
  conversionFromPrevious: number | null;
}

const cli = async (argv: string[]) => {
  const run = await runCli(argv, env);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
};

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDataset(db.pool);
  env = { DATABASE_URL: db.url, REPORTING_CURRENCY: CURRENCY };
  const period = { from: FROM, to: TO };
  const [s, act, steps, au, stick, users] = await Promise.all([
    revenueSummary(db.pool, { ...period, currency: CURRENCY }),
    activationRate(db.pool, {
      ...period,
      activation: { event: defaultActivation.event },
      windowDays: defaultActivation.windowDays,
      asOf: TO,
    }),
    funnel(db.pool, {
      ...period,
      steps: [...defaultFunnelSteps],
      windowDays: defaultFunnelWindowDays,
      asOf: TO,
    }),
    activeUsers(db.pool, { asOf: TO }),
    stickiness(db.pool, { asOf: TO }),
    userCounts(db.pool, period),
  ]);
  const m = s.movements;
  direct = {
    'revenue.mrr': s.mrr,
    'revenue.arr': s.arr,
    'revenue.activeSubscriptions': s.activeSubscriptions,
    'revenue.payingCustomers': s.payingCustomers,
    'revenue.arpa': s.arpa,
    'revenue.ltv': s.ltv,
    'revenue.newRevenue': m.new + m.reactivation,
    'revenue.movements.new': m.new,
    'revenue.movements.reactivation': m.reactivation,
    'revenue.movements.expansion': m.expansion,
    'revenue.movements.contraction': m.contraction,
    'revenue.movements.churn': m.churn,
    'revenue.movements.net': m.net,
    'revenue.grossCashCollected': s.cash.collected,
    'revenue.refunds': s.cash.refunds,
    'revenue.cashCollected': s.cash.net,
    'revenue.payments': s.cash.payments,
    'revenue.customerChurnRate': s.customerChurnRate,
    'revenue.grossMrrChurn': s.grossMrrChurnRate,
    'revenue.netMrrChurn': s.netMrrChurnRate,
    'revenue.quickRatio': s.quickRatio,
    'revenue.nrr': s.nrr,
    'revenue.grr': s.grr,
    'ledger.failedPayments': s.failedPayments,
    'users.total': users.total,
    'users.new': users.new,
    'users.activationRate': act.rate,
    'engagement.dau': au.dau,
    'engagement.wau': au.wau,
    'engagement.mau': au.mau,
    'engagement.stickiness': stick.dauOverMau,
    'engagement.dauOverWau': stick.dauOverWau,
    'funnel.signupToCoreAction': steps[1]!.conversionFromPrevious,
    'funnel.coreActionToPayment': steps[2]!.conversionFromPrevious,
  };
  // The three commands, one after the other (each opens its own pool).
  kpis = JSON.parse(await cli(['kpis', '--as-of', DATASET_AS_OF, '--days', String(DAYS), '--json']));
  revenue = JSON.parse(await cli(['revenue', '--from', from, '--to', DATASET_AS_OF, '--json']));
  report = growthReportSchema.parse(
    JSON.parse(
      await cli([
        'growth',
        '--days',
        String(DAYS),
        '--as-of',
        DATASET_AS_OF,
        '--format',
        'json',
        '--no-store',
      ]),
    ),
  );
});
afterAll(() => db?.drop());

/** The growth report's current value of a figure key (null when the report has none). */
function reportFigure(key: FigureKey): number | null | undefined {
  for (const section of report.sections)
    for (const f of section.figures) if (f.key === key) return f.current ?? null;
  return undefined;
}

const catalogKeys = new Set<string>(figureCatalog.map((f) => f.key));
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('one period, one number per catalog key: CLI, growth report, package functions', () => {
  it('the package functions give real numbers for the figures the issue names', () => {
    // A test of equal zeros would prove nothing: the period has signups, conversions, payments.
    expect(direct['users.activationRate']).toBeGreaterThan(0);
    expect(direct['funnel.signupToCoreAction']).toBeGreaterThan(0);
    expect(direct['funnel.coreActionToPayment']).toBeGreaterThan(0);
    expect(direct['revenue.grossCashCollected']).toBeGreaterThan(0);
    expect(direct['revenue.mrr']).toBeGreaterThan(0);
    expect(direct['revenue.activeSubscriptions']).toBeGreaterThan(0);
  });

  it.each([
    ['kpis --json', () => kpis.figures],
    ['revenue --json', () => revenue.figures],
  ])('%s: each figure under a catalog key equals the report and the package function', (_, figuresOf) => {
    const figures = figuresOf();
    expect(figures, 'the JSON lists its figures by catalog key').toBeTypeOf('object');
    const keys = Object.keys(figures) as FigureKey[];
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) {
      expect(catalogKeys.has(key), `${key} is a catalog key`).toBe(true);
      expect(key in direct, `${key} has a package value in this test`).toBe(true);
      expect(figures[key], `${key} = package function`).toBe(direct[key] ?? null);
      // The growth report has no ledger-health section (the dashboard's Ledger page shows it).
      if (figure(key).section === 'ledger') expect(reportFigure(key), key).toBeUndefined();
      else expect(reportFigure(key), `${key} = growth report`).toBe(direct[key] ?? null);
    }
  });

  it('prints the figures the issue names, with the same numbers in the documented fields', () => {
    // The fields scripts read (`jq .activation.rate`) are the same numbers.
    expect(kpis.activation.rate).toBe(reportFigure('users.activationRate'));
    expect(kpis.funnel.map((s) => s.name)).toEqual(defaultFunnelSteps);
    expect(kpis.funnel[1]!.conversionFromPrevious).toBe(reportFigure('funnel.signupToCoreAction'));
    expect(kpis.funnel[2]!.conversionFromPrevious).toBe(reportFigure('funnel.coreActionToPayment'));
    expect(revenue.cash.collected).toBe(reportFigure('revenue.grossCashCollected'));
    expect(revenue.cash.net).toBe(reportFigure('revenue.cashCollected'));
    expect(revenue.mrr).toBe(reportFigure('revenue.mrr'));
    expect(revenue.activeSubscriptions).toBe(reportFigure('revenue.activeSubscriptions'));
    const printed = { ...kpis.figures, ...revenue.figures };
    for (const key of REQUIRED) expect(printed[key], key).toBe(direct[key]);
  });

  it('growth --format json: every figure with a package value here equals it', () => {
    for (const [key, value] of Object.entries(direct) as [FigureKey, number | null][])
      if (figure(key).section !== 'ledger') expect(reportFigure(key), key).toBe(value);
    for (const section of report.sections)
      for (const f of section.figures) {
        if (!catalogKeys.has(f.key)) continue;
        // The report's label and unit are the catalog's.
        expect(f.label, f.key).toBe(figure(f.key as FigureKey).label);
        expect(f.unit, f.key).toBe(figure(f.key as FigureKey).unit);
      }
  });

  it.each([
    [
      'kpis',
      ['kpis', '--as-of', DATASET_AS_OF, '--days', String(DAYS)],
      () => kpis.figures,
      ['users.activationRate', 'funnel.signupToCoreAction', 'funnel.coreActionToPayment', 'engagement.dau'],
    ],
    [
      'revenue',
      ['revenue', '--from', from, '--to', DATASET_AS_OF],
      () => revenue.figures,
      ['revenue.mrr', 'revenue.activeSubscriptions', 'revenue.grossCashCollected', 'revenue.cashCollected'],
    ],
  ])(
    '%s: the text shows each figure under the catalog label, and no label with another number',
    async (_, argv, figuresOf, required) => {
      const text = await cli(argv as string[]);
      const lines = text.split('\n');
      const rowsOf = (label: string) => lines.filter((l) => new RegExp(`^${reEscape(label)}\\s{2,}`).test(l));
      const row = (key: FigureKey, value: number | null | undefined) => {
        const f = figure(key);
        const shown = formatFigure(f, value, CURRENCY);
        const rows = rowsOf(f.label);
        expect(rows, `${key}: one row "${f.label}  ${shown}"`).toHaveLength(1);
        expect(rows[0]).toMatch(new RegExp(`^${reEscape(f.label)}\\s{2,}${reEscape(shown)}(\\s|$)`));
      };
      for (const key of required as FigureKey[]) row(key, direct[key]);
      const figures = figuresOf() ?? {};
      for (const f of figureCatalog) {
        if (f.key in figures) row(f.key, figures[f.key]);
        else expect(rowsOf(f.label), `"${f.label}" is not printed by ${argv[0]}`).toEqual([]);
      }
    },
  );

  it('growth (Markdown): the same labels and values as the CLI commands', async () => {
    const md = await cli(['growth', '--days', String(DAYS), '--as-of', DATASET_AS_OF, '--no-store']);
    for (const [key, value] of Object.entries({ ...kpis.figures, ...revenue.figures })) {
      const f = figure(key as FigureKey);
      if (f.section === 'ledger') continue;
      expect(md, key).toContain(`| ${f.label} | ${formatFigure(f, value, CURRENCY)} |`);
    }
  });
});
