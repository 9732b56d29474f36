import { findGrowthReport, latestGrowthReports, type StoredReportSummary } from '@org/insights';
import Link from 'next/link';
import { DataTable, Empty, Section } from '../../../components/data-table.tsx';
import { PeriodSelector } from '../../../components/period-selector.tsx';
import { formatDateTime, formatMoney, formatPercent, formatUnit } from '../../../lib/format.ts';
import { pageContext } from '../../../lib/page.ts';
import { addDaysIso, isoDay, type Period, PRESETS, type SearchParams } from '../../../lib/period.ts';
import { generateReportAction } from './actions.ts';

export const dynamic = 'force-dynamic';

const severityOrder = { critical: 0, warning: 1, info: 2, positive: 3 } as const;

/** The dashboard link of a stored report's period. */
function reportHref(r: StoredReportSummary): string {
  const to = isoDay(new Date(r.asOf));
  return (PRESETS as readonly number[]).includes(r.periodDays) && r.asOf.endsWith('T00:00:00.000Z')
    ? `/insights?days=${r.periodDays}&to=${to}`
    : `/insights?from=${addDaysIso(to, -r.periodDays)}&to=${to}`;
}

function GenerateForm({ period, label }: { period: Period; label: string }) {
  return (
    <form action={generateReportAction}>
      {period.preset ? (
        <input type="hidden" name="days" value={period.preset} />
      ) : (
        <input type="hidden" name="from" value={period.from} />
      )}
      <input type="hidden" name="to" value={period.to} />
      <button type="submit" data-testid="generate-report">
        {label}
      </button>
    </form>
  );
}

export default async function InsightsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { period, pool, currency } = await pageContext(searchParams);
  // Reports are documents: `org-reports growth` (the scheduled job, the demo) and the button below
  // store them, and the page renders the latest one for the period instead of recomputing it.
  const [stored, latest] = await Promise.all([
    findGrowthReport(pool, { asOf: period.toDate, days: period.days, currency }),
    latestGrowthReports(pool, { limit: 10 }),
  ]);
  const recent = (
    <Section title="Latest reports" id="latest-reports">
      {latest.length ? (
        <DataTable
          caption="The most recently generated growth reports"
          testId="table-reports"
          columns={[
            { key: 'title', label: 'Report' },
            { key: 'headline', label: 'Headline' },
            { key: 'generated', label: 'Generated (UTC)' },
            { key: 'by', label: 'By' },
          ]}
          rows={latest.map((r) => ({
            title: (
              <Link href={reportHref(r)} prefetch={false}>
                {r.title}
                {r.app ? ` (${r.app})` : ''}
              </Link>
            ),
            headline: r.headline,
            generated: formatDateTime(r.generatedAt),
            by: `${r.generatedBy}, ${r.narrativeSource === 'llm' ? 'Claude narrative' : 'rules narrative'}`,
          }))}
        />
      ) : (
        <Empty>No growth report stored yet.</Empty>
      )}
    </Section>
  );
  const command = `org-reports growth ${period.preset ? `--days ${period.preset} ` : ''}--as-of ${period.to}`;

  if (!stored) {
    return (
      <>
        <h1>Insights</h1>
        <PeriodSelector period={period} path="/insights" />
        <Section title="Growth report" id="narrative">
          <Empty>
            No growth report stored for {period.from} to {period.to} (exclusive).{' '}
            {period.preset ? (
              <>
                Run <code>{command}</code>, or generate it here.
              </>
            ) : (
              'Generate it here (the CLI takes 7, 30 or 90 days).'
            )}
          </Empty>
          <GenerateForm period={period} label="Generate report" />
        </Section>
        {recent}
      </>
    );
  }

  const report = stored.report;
  const findings = [...report.insights.findings].sort(
    (a, b) => severityOrder[a.severity] - severityOrder[b.severity],
  );
  const n = report.insights.narrative;
  // Evidence in its catalog unit ("1,234", "$12.00", "12.3%"), as the report prints it.
  const value = (unit: Parameters<typeof formatUnit>[0], v: number | null | undefined) =>
    formatUnit(unit, v, currency);

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
        <p className="loading" data-testid="report-generated">
          Generated {formatDateTime(stored.generatedAt)} UTC ({stored.generatedBy}), report #{stored.id}.
        </p>
        <GenerateForm period={period} label="Regenerate with current data" />
        {report.goal && report.goal.progress !== null ? (
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
          caption="Definitions this report used"
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
      {recent}
    </>
  );
}
