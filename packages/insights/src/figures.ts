import { enrichmentCoreAction } from '@org/metrics';
import { fixed, formatMoney, formatValue, type Unit } from './format.ts';
import { type Change, changeOf } from './rules/change.ts';
import type { MetricsSnapshot } from './snapshot.ts';

/**
 * The figure catalog: every number the dashboard, the growth report, the insight rules and the
 * CLI show, defined once. A label means one number everywhere; a figure that exists in two
 * variants has two labels ("Cash collected (gross)" and "Net cash collected"). Pure.
 */

/** How a change against the previous period is shown. */
export type ChangeStyle =
  /** Relative: "+12.5%" (counts and money). */
  | 'relative'
  /** Percentage points: "+2.0 pp" (ratios: 40% -> 42% is +2.0 pp, not +5.0%). */
  | 'points'
  /** The difference itself: "+0.12" (plain numbers such as the quick ratio). */
  | 'absolute'
  /** Not compared: a single day's value (the last day of two periods may be a Saturday and a Thursday). */
  | 'none';

export type FigureSection = 'revenue' | 'users' | 'engagement' | 'product' | 'funnel' | 'ledger';

export interface FigureDefinition {
  /** Stable identifier: the growth report's JSON key and the dashboard's test id. */
  key: string;
  section: FigureSection;
  label: string;
  unit: Unit;
  /** What the number is (METRICS.md). */
  definition: string;
  /** How to read it: the instant or span it describes. */
  reading: string;
  change: ChangeStyle;
  /** Which direction of change is good. */
  better: 'up' | 'down';
  /** The value in a snapshot (undefined: no data). */
  read: (s: MetricsSnapshot) => number | undefined;
}

const AT_END = 'Level as of the period end (exclusive), the previous period at its own end.';
const OVER_PERIOD = 'Total over the period [start, end).';
const RATE_OVER_PERIOD = 'Rate over the period [start, end).';

function def(
  key: string,
  section: FigureSection,
  label: string,
  unit: Unit,
  definition: string,
  reading: string,
  read: FigureDefinition['read'],
  options: { better?: 'up' | 'down'; change?: ChangeStyle } = {},
): FigureDefinition {
  const change =
    options.change ?? (unit === 'ratio' ? 'points' : unit === 'number' ? 'absolute' : 'relative');
  return { key, section, label, unit, definition, reading, change, better: options.better ?? 'up', read };
}

const movement = (s: MetricsSnapshot) => s.revenue?.movements;

export const figureCatalog = [
  // Revenue (@org/billing-ledger)
  def(
    'revenue.mrr',
    'revenue',
    'MRR',
    'money',
    'Monthly recurring revenue: unit amount x quantity after recurring discounts, before tax, normalised to a month; trials, metered prices and ended subscriptions count 0.',
    AT_END,
    (s) => s.revenue?.mrr,
  ),
  def('revenue.arr', 'revenue', 'ARR', 'money', 'Annual run rate: 12 x MRR.', AT_END, (s) => s.revenue?.arr),
  def(
    'revenue.activeSubscriptions',
    'revenue',
    'Active subscriptions',
    'count',
    'Subscriptions whose status is active or past_due (a trial that has ended counts as active; one whose final service period has ended does not).',
    AT_END,
    (s) => s.revenue?.activeSubscriptions,
  ),
  def(
    'revenue.payingCustomers',
    'revenue',
    'Paying customers',
    'count',
    'Customers with MRR > 0.',
    AT_END,
    (s) => s.revenue?.payingCustomers,
  ),
  def(
    'revenue.arpa',
    'revenue',
    'ARPA',
    'money',
    'Average revenue per account: MRR / paying customers.',
    AT_END,
    (s) => s.revenue?.arpa,
  ),
  def(
    'revenue.ltv',
    'revenue',
    'LTV',
    'money',
    'Lifetime value: ARPA / monthly customer churn rate (none without churn).',
    'ARPA at the period end over the monthly churn rate of the period.',
    (s) => s.revenue?.ltv,
  ),
  def(
    'revenue.newRevenue',
    'revenue',
    'New MRR (new + reactivation)',
    'money',
    'MRR added by customers who went from 0 to paying: the new and reactivation movements.',
    OVER_PERIOD,
    (s) => s.revenue?.newRevenue,
  ),
  def(
    'revenue.movements.new',
    'revenue',
    'New-customer MRR',
    'money',
    'MRR of customers paying for the first time (movement "new").',
    OVER_PERIOD,
    (s) => movement(s)?.new,
  ),
  def(
    'revenue.movements.reactivation',
    'revenue',
    'Reactivation MRR',
    'money',
    'MRR of customers who paid before, stopped, and pay again (movement "reactivation").',
    OVER_PERIOD,
    (s) => movement(s)?.reactivation,
  ),
  def(
    'revenue.movements.expansion',
    'revenue',
    'Expansion MRR',
    'money',
    'MRR added by paying customers paying more (movement "expansion").',
    OVER_PERIOD,
    (s) => movement(s)?.expansion,
  ),
  def(
    'revenue.movements.contraction',
    'revenue',
    'Contraction MRR',
    'money',
    'MRR lost by paying customers paying less but more than 0 (movement "contraction").',
    OVER_PERIOD,
    (s) => movement(s)?.contraction,
    { better: 'down' },
  ),
  def(
    'revenue.movements.churn',
    'revenue',
    'Churned MRR',
    'money',
    'MRR of customers who stopped paying (movement "churn").',
    OVER_PERIOD,
    (s) => movement(s)?.churn,
    { better: 'down' },
  ),
  def(
    'revenue.movements.net',
    'revenue',
    'Net new MRR',
    'money',
    'new + reactivation + expansion - contraction - churn: the change of MRR over the period.',
    OVER_PERIOD,
    (s) => {
      const m = movement(s);
      return m && m.new + m.reactivation + m.expansion - m.contraction - m.churn;
    },
  ),
  def(
    'revenue.grossCashCollected',
    'revenue',
    'Cash collected (gross)',
    'money',
    'Succeeded payments, before refunds, by payment date.',
    OVER_PERIOD,
    (s) => s.revenue?.grossCashCollected,
  ),
  def(
    'revenue.refunds',
    'revenue',
    'Refunds',
    'money',
    'Refunds, by refund date.',
    OVER_PERIOD,
    (s) => s.revenue?.refunds,
    { better: 'down' },
  ),
  def(
    'revenue.cashCollected',
    'revenue',
    'Net cash collected',
    'money',
    'Succeeded payments minus refunds, by date (METRICS.md "revenue collected").',
    OVER_PERIOD,
    (s) => s.revenue?.cashCollected,
  ),
  def(
    'revenue.payments',
    'revenue',
    'Successful payments',
    'count',
    'Number of succeeded payments.',
    OVER_PERIOD,
    (s) => s.revenue?.payments,
  ),
  def(
    'revenue.customerChurnRate',
    'revenue',
    'Customer churn rate',
    'ratio',
    'Customers churned in the period / paying customers at its start.',
    RATE_OVER_PERIOD,
    (s) => s.revenue?.customerChurnRate,
    { better: 'down' },
  ),
  def(
    'revenue.grossMrrChurn',
    'revenue',
    'Gross MRR churn rate',
    'ratio',
    '(churn + contraction) / MRR at the period start.',
    RATE_OVER_PERIOD,
    (s) => s.revenue?.grossMrrChurn,
    { better: 'down' },
  ),
  def(
    'revenue.netMrrChurn',
    'revenue',
    'Net MRR churn rate',
    'ratio',
    '(churn + contraction - expansion - reactivation) / MRR at the period start; negative when expansion outgrows losses.',
    RATE_OVER_PERIOD,
    (s) => s.revenue?.netMrrChurn,
    { better: 'down' },
  ),
  def(
    'revenue.quickRatio',
    'revenue',
    'Quick ratio',
    'number',
    '(new + expansion + reactivation) / (churn + contraction); none when both are 0.',
    RATE_OVER_PERIOD,
    (s) => s.revenue?.quickRatio,
  ),
  def(
    'revenue.nrr',
    'revenue',
    'Net revenue retention (NRR)',
    'ratio',
    'MRR at the period end of the customers paying at its start / their MRR at the start (new customers excluded).',
    'From the period start to its end.',
    (s) => s.revenue?.nrr,
  ),
  def(
    'revenue.grr',
    'revenue',
    'Gross revenue retention (GRR)',
    'ratio',
    'As NRR, with each customer capped at their MRR at the start.',
    'From the period start to its end.',
    (s) => s.revenue?.grr,
  ),
  // Users (@org/metrics)
  def(
    'users.total',
    'users',
    'Total users',
    'count',
    'Users whose first signup (else first event) is before the period end.',
    AT_END,
    (s) => s.users?.total,
  ),
  def(
    'users.new',
    'users',
    'New users',
    'count',
    'Users whose first signup (else first event) is in the period.',
    OVER_PERIOD,
    (s) => s.users?.new,
  ),
  def(
    'users.active',
    'users',
    'Active users',
    'count',
    'Distinct users with a qualifying event (any category but system) in the period: WAU for 7 days, MAU for 30.',
    'Distinct over the period.',
    (s) => s.users?.active,
  ),
  def(
    'users.activationRate',
    'users',
    'Activation rate',
    'ratio',
    `Share of the users who signed up in the period who did the activation event (default ${enrichmentCoreAction.activation}, the core action) within 7 days of signup, before the period end.`,
    'Signups of the period; their 7 days end at the period end at the latest.',
    (s) => s.users?.activationRate,
  ),
  // Engagement (@org/metrics)
  def(
    'engagement.dau',
    'engagement',
    'DAU (last day)',
    'count',
    'Active users on the last day of the period.',
    'One day: the last of the period (compare averages, not single days).',
    (s) => s.engagement?.dau,
    { change: 'none' },
  ),
  def(
    'engagement.averageDau',
    'engagement',
    'Average DAU',
    'number',
    'Mean of the daily active users over the days of the period.',
    'Average over the period.',
    (s) => s.engagement?.averageDau,
    { change: 'relative' },
  ),
  def(
    'engagement.wau',
    'engagement',
    'WAU',
    'count',
    'Distinct active users over the 7 days ending on the last day of the period.',
    'The last 7 days of the period.',
    (s) => s.engagement?.wau,
  ),
  def(
    'engagement.mau',
    'engagement',
    'MAU',
    'count',
    'Distinct active users over the 30 days ending on the last day of the period.',
    'The 30 days ending with the period.',
    (s) => s.engagement?.mau,
  ),
  def(
    'engagement.stickiness',
    'engagement',
    'Stickiness (avg DAU / MAU)',
    'ratio',
    'Average DAU over the 30 days ending on the last day of the period / MAU.',
    'The 30 days ending with the period.',
    (s) => s.engagement?.stickiness,
  ),
  def(
    'engagement.dauOverWau',
    'engagement',
    'DAU / WAU',
    'ratio',
    'DAU of the last day / WAU.',
    'The last day and the 7 days ending with it.',
    (s) => s.engagement?.dauOverWau,
  ),
  // Product (@org/metrics)
  def(
    'product.coreAction.attempts',
    'product',
    'Core action attempts',
    'count',
    `Completed plus failed core actions (default ${enrichmentCoreAction.completed} / ${enrichmentCoreAction.failed}).`,
    OVER_PERIOD,
    (s) => s.product?.coreAction?.attempts,
  ),
  def(
    'product.coreAction.successes',
    'product',
    'Core action successes',
    'count',
    'Completed core actions.',
    OVER_PERIOD,
    (s) => s.product?.coreAction?.successes,
  ),
  def(
    'product.coreAction.successRate',
    'product',
    'Core action success rate',
    'ratio',
    'Completed / (completed + failed) core actions.',
    RATE_OVER_PERIOD,
    (s) => s.product?.coreAction?.successRate,
  ),
  // Conversion funnel (@org/metrics)
  def(
    'funnel.signupToCoreAction',
    'funnel',
    'Signup → core action',
    'ratio',
    'Share of the users entering the funnel (signup in the period) who did the core action after it, within the 14-day window.',
    'Users entering in the period; conversions before the period end.',
    (s) => s.funnel?.signupToCoreAction,
  ),
  def(
    'funnel.coreActionToPayment',
    'funnel',
    'Core action → payment',
    'ratio',
    'Share of those who did the core action who then paid, within the window from signup.',
    'Users entering in the period; conversions before the period end.',
    (s) => s.funnel?.coreActionToPayment,
  ),
  // Ledger health (@org/billing-ledger)
  def(
    'ledger.failedPayments',
    'ledger',
    'Failed payments',
    'count',
    'Distinct invoices and payment intents with a payment failure.',
    OVER_PERIOD,
    (s) => s.ledger?.failedPayments,
    { better: 'down' },
  ),
  def(
    'ledger.failedPaymentAmount',
    'ledger',
    'Failed payment amount',
    'money',
    'Amount of the failed payments.',
    OVER_PERIOD,
    (s) => s.ledger?.failedPaymentAmount,
    { better: 'down' },
  ),
  def(
    'ledger.deadWebhooks',
    'ledger',
    'Dead webhook events',
    'count',
    'Stripe events that failed their last processing attempt: their changes are missing from the ledger.',
    'State when the figures were read.',
    (s) => s.ledger?.deadWebhooks,
    { better: 'down' },
  ),
  def(
    'ledger.pendingWebhooks',
    'ledger',
    'Webhook events waiting',
    'count',
    'Stripe events received but not yet processed (pending or failed, to be retried).',
    'State when the figures were read.',
    (s) => s.ledger?.pendingWebhooks,
    { better: 'down' },
  ),
  def(
    'ledger.oldestPendingAgeSeconds',
    'ledger',
    'Oldest waiting webhook event',
    'seconds',
    'Age of the oldest Stripe event waiting to be processed.',
    'State when the figures were read.',
    (s) => s.ledger?.oldestPendingAgeSeconds,
    { better: 'down' },
  ),
] as const satisfies readonly FigureDefinition[];

export type FigureKey = (typeof figureCatalog)[number]['key'];

const byKey = new Map<string, FigureDefinition>(figureCatalog.map((f) => [f.key, f]));

/** The definition of a figure; throws for a key not in the catalog (a bug). */
export function figure(key: FigureKey): FigureDefinition {
  const f = byKey.get(key);
  if (!f) throw new RangeError(`no figure "${key}" in the catalog`);
  return f;
}

/** The figure's value for display: "$1,234.56", "1,234", "12.3%", "n/a" without a value. */
export function formatFigure(
  f: FigureDefinition,
  value: number | null | undefined,
  currency: string,
): string {
  return formatValue(value, f.unit, currency);
}

export interface FigureChange extends Change {
  /** As shown: "+12.5%", "-2.0 pp", "+$19.00 (from 0)", "0.0%". */
  text: string;
  /** The direction as shown (a change that rounds to zero is flat, never a green ▲). */
  direction: 'up' | 'down' | 'flat';
  tone: 'good' | 'bad' | 'neutral';
}

/** Whether a value shows as zero in its unit (so a change that rounds away shows no sign). */
function roundsToZero(value: number, unit: Unit): boolean {
  switch (unit) {
    case 'ratio':
      return Number(fixed(value * 100, 1)) === 0;
    case 'number':
      return Number(fixed(value, 2)) === 0;
    default:
      return Math.round(value) === 0;
  }
}

/**
 * A change shown the catalog's way. Counts and money: relative ("+12.5%"; from 0: "+$19.00 (from
 * 0)"); ratios: percentage points ("-2.0 pp"); plain numbers: the difference ("+0.12"). A change
 * that rounds to zero shows without a sign and is flat. "n/a" when either side is missing.
 */
export function formatChange(
  change: Change | null,
  style: ChangeStyle,
  unit: Unit,
  currency: string,
): { text: string; direction: FigureChange['direction'] } {
  if (!change) return { text: 'n/a', direction: 'flat' };
  if (style === 'none') return { text: 'not compared', direction: 'flat' };
  const direction = (zero: boolean, positive: boolean) => (zero ? 'flat' : positive ? 'up' : 'down');
  const sign = (zero: boolean, positive: boolean) => (zero ? '' : positive ? '+' : '-');
  if (style === 'points') {
    const shown = fixed(Math.abs(change.absolute) * 100, 1);
    const zero = Number(shown) === 0;
    return {
      text: `${sign(zero, change.absolute > 0)}${shown} pp`,
      direction: direction(zero, change.absolute > 0),
    };
  }
  if (style === 'relative' && change.relative !== null) {
    const shown = fixed(Math.abs(change.relative) * 100, 1);
    const zero = Number(shown) === 0;
    return {
      text: `${sign(zero, change.relative > 0)}${shown}%`,
      direction: direction(zero, change.relative > 0),
    };
  }
  // The difference itself: plain numbers, and counts or money rising from 0 (no ratio to 0).
  const zero = roundsToZero(change.absolute, unit);
  if (zero && style === 'relative') return { text: '0.0%', direction: 'flat' };
  const positive = change.absolute > 0;
  const shown =
    unit === 'money'
      ? formatMoney(change.absolute, currency, { signed: true })
      : `${sign(zero, positive)}${formatValue(Math.abs(change.absolute), unit, currency)}`;
  return {
    text: style === 'relative' ? `${shown} (from 0)` : shown,
    direction: direction(zero, positive),
  };
}

/** The change of a figure between two values, formatted and judged by the catalog. */
export function figureChange(
  f: FigureDefinition,
  current: number | null | undefined,
  previous: number | null | undefined,
  currency: string,
): FigureChange | null {
  const change = changeOf(current, previous);
  if (!change || f.change === 'none') return null;
  const { text, direction } = formatChange(change, f.change, f.unit, currency);
  const tone =
    direction === 'flat' ? 'neutral' : (direction === 'up') === (f.better === 'up') ? 'good' : 'bad';
  return { ...change, text, direction, tone };
}

/** The catalog as a Markdown table (the package README shows it; a test keeps them equal). */
export function figureCatalogMarkdown(): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const changeText: Record<ChangeStyle, string> = {
    relative: 'relative %',
    points: 'percentage points',
    absolute: 'difference',
    none: 'not compared',
  };
  return [
    '| Key | Label | Unit | Definition | Reading | Change shown as | Good |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...figureCatalog.map(
      (f) =>
        `| \`${f.key}\` | ${cell(f.label)} | ${f.unit} | ${cell(f.definition)} | ${cell(f.reading)} | ${changeText[f.change]} | ${f.better === 'up' ? 'higher' : 'lower'} |`,
    ),
  ].join('\n');
}
