import type { AuditReport } from './collect.ts';

const money = (amounts: Record<string, number>) =>
  Object.entries(amounts)
    .map(([c, a]) => `${a} ${c}`)
    .join(', ') || '-';

/** The audit as Markdown (for CI summaries and issues) or JSON. */
export function renderAudit(report: AuditReport, format: 'md' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const lines = [
    `# Revenue audit ${report.month}: ${report.verdict}`,
    '',
    `Period [${report.start}, ${report.end}), as of ${report.asOf}. Findings: ${report.counts.HIGH} HIGH, ${report.counts.MEDIUM} MEDIUM, ${report.counts.LOW} LOW.`,
    '',
    '| object | Stripe count | ledger count | Stripe amount | ledger amount |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const kind of ['payment_intent', 'invoice', 'refund', 'subscription']) {
    const s = report.totals.stripe[kind];
    const l = report.totals.ledger[kind];
    lines.push(
      `| ${kind} | ${s?.count ?? 0} | ${l?.count ?? 0} | ${kind === 'subscription' ? '-' : money(s?.amount ?? {})} | ${kind === 'subscription' ? '-' : money(l?.amount ?? {})} |`,
    );
  }
  lines.push('');
  if (report.findings.length === 0) lines.push('No findings: the ledger agrees with Stripe.');
  else {
    lines.push(
      '## Findings',
      '',
      '| severity | type | object | finding | recommendation |',
      '|---|---|---|---|---|',
    );
    const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    for (const f of report.findings)
      lines.push(
        `| ${f.severity} | ${f.type} | ${f.kind} ${f.id} | ${cell(f.message)} | ${cell(f.recommendation)} |`,
      );
  }
  lines.push(
    '',
    'Verdict: PASS (exit 0) no HIGH or MEDIUM findings; WARN (exit 1) MEDIUM findings; FAIL (exit 2) any HIGH finding.',
  );
  return `${lines.join('\n')}\n`;
}
