import { defaultFunnel, generateGrowthReport } from '@org/insights';
import { DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { readAdminEnv } from '../../../env.ts';
import { formatMoney, formatPercent } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import type { SearchParams } from '../../../lib/period.ts';

export const dynamic = 'force-dynamic';

const severityOrder = { critical: 0, warning: 1, info: 2, positive: 3 } as const;

export default async function InsightsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, pool, currency } = await pageContext(searchParams);
  // The growth report `org-reports growth --days N --as-of <to> --no-llm` builds, rendered here.
  // The dashboard never calls the LLM on a page view: the narrative comes from the rules.
  const report = await generateGrowthReport(pool, {
    asOf: period.toDate,
    days: period.days,
    mrrGoal: readAdminEnv().MRR_GOAL,
    collect: { currency, funnel: defaultFunnel },
    narrative: { enabled: false },
  });
  const findings = [...report.insights.findings].sort(
    (a, b) => severityOrder[a.severity] - severityOrder[b.severity],
  );
  const n = report.insights.narrative;
  const value = (unit: string, v: number | null | undefined) =>
    v === null || v === undefined
      ? '—'
      : unit === 'money'
        ? formatMoney(v, currency)
        : unit === 'ratio'
          ? formatPercent(v)
          : String(v);

  return (
    <>
      <h1>Insights</h1>
      <PeriodSelector period={period} path="/insights" />
      <Section title={report.title} id="narrative">
        <p>
          <strong data-testid="headline">{n.headline}</strong>
        </p>
        <p>{n.summary}</p>
        <p className="loading">{report.insights.sourceLine}</p>
        {report.goal.progress !== null ? (
          <p data-testid="goal">
            MRR goal: {formatMoney(report.goal.mrr, currency)} of {formatMoney(report.goal.mrrGoal, currency)}{' '}
            ({formatPercent(report.goal.progress)})
          </p>
        ) : null}
      </Section>

      <Section title="Findings" id="findings">
        {findings.length ? (
          <DataTable
            caption="Rule findings for this period against the previous one"
            testId="table-findings"
            columns={[
              { key: 'title', label: 'Finding' },
              { key: 'severity', label: 'Severity' },
              { key: 'evidence', label: 'Evidence' },
              { key: 'recommendation', label: 'Recommendation' },
            ]}
            rows={findings.map((f) => ({
              title: f.title,
              severity: f.severity,
              evidence: f.evidence
                .map(
                  (e) =>
                    `${e.label}: ${value(e.unit, e.current)}${e.previous !== undefined ? ` (was ${value(e.unit, e.previous)})` : ''}`,
                )
                .join('; '),
              recommendation: f.recommendation,
            }))}
          />
        ) : (
          <Empty>No rule fired for this period.</Empty>
        )}
      </Section>

      <div className="grid2">
        <Section title="Recommendations" id="recommendations">
          {report.recommendations.length ? (
            <ol>
              {report.recommendations.map((r) => (
                <li key={r.title}>
                  <strong>{r.title}</strong> ({r.priority}): {r.detail}
                </li>
              ))}
            </ol>
          ) : (
            <Empty>No recommendation.</Empty>
          )}
        </Section>
        <Section title="Highlights and risks" id="highlights">
          {n.highlights.length || n.risks.length ? (
            <ul>
              {n.highlights.map((h) => (
                <li key={h}>{h}</li>
              ))}
              {n.risks.map((r) => (
                <li key={r}>Risk: {r}</li>
              ))}
            </ul>
          ) : (
            <Empty>Nothing to highlight.</Empty>
          )}
        </Section>
      </div>

      <Section title="Metric choices and missing figures" id="choices">
        <DataTable
          caption="Definitions this report used (METRICS.md)"
          columns={[
            { key: 'name', label: 'Metric' },
            { key: 'value', label: 'Choice' },
          ]}
          rows={report.metricChoices.map((c) => ({ name: c.name, value: c.value }))}
        />
        {report.missing.length ? <p>Missing: {report.missing.join('; ')}</p> : null}
        {report.insights.skippedRules.length ? (
          <details>
            <summary>Rules skipped ({report.insights.skippedRules.length})</summary>
            <ul>
              {report.insights.skippedRules.map((s) => (
                <li key={s.rule}>
                  {s.rule}: {s.reason}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </Section>
    </>
  );
}
