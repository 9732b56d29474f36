import { formatChange } from '../figures.ts';
import { formatMoney, formatPercent, formatValue } from '../format.ts';
import type { Chart, Figure, GrowthReport, ReportTable } from './model.ts';
import { barChart, escapeXml as esc, lineChart, progressBar } from './svg.ts';

/**
 * A single self-contained HTML file: inline CSS and SVG, no scripts, nothing fetched over the network.
 * Readable on a phone: tables scroll inside their own box, charts shrink to the width (down to a
 * legible size, then scroll), long words wrap.
 */
const css = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--accent:#0969da;--good:#1a7f37;--bad:#cf222e;--warn:#9a6700}
*{box-sizing:border-box}body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);max-width:960px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.25rem}h2{border-bottom:1px solid var(--line);padding-bottom:.3rem;margin-top:2rem}
.muted,.meta{color:var(--muted)}.headline{font-size:1.1rem;font-weight:600;border-left:4px solid var(--accent);padding:.25rem .75rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.up{color:var(--good)}.down{color:var(--bad)}
.sev{font-weight:600;text-transform:uppercase;font-size:.75rem}.sev.critical{color:var(--bad)}.sev.warning{color:var(--warn)}.sev.positive{color:var(--good)}.sev.info{color:var(--accent)}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}
svg text{font-size:11px;fill:var(--muted)}svg .axis{stroke:var(--line)}svg .line{stroke:var(--accent);stroke-width:2}svg .dot{fill:var(--accent)}
svg .bar{fill:var(--accent)}svg .bar.neg{fill:var(--bad)}svg .track{fill:#eaeef2}svg .fill{fill:var(--accent)}svg .fill.done{fill:var(--good)}svg text.on-bar{fill:var(--fg);font-weight:600}
p,li,summary{overflow-wrap:anywhere}.scroll{overflow-x:auto;margin:.5rem 0 1rem}.scroll table{margin:0}
figure{overflow-x:auto}svg{width:100%;max-width:560px;min-width:420px;height:auto}
@media (max-width:600px){body{margin:1rem auto;padding:0 .75rem}h1{font-size:1.3rem}th,td{padding:.25rem .4rem}}
`;

/** Green for a change for the better, red for the worse, nothing for a change that shows as zero. */
function changeClass(f: Figure, currency: string): string {
  const shown = formatChange(f.change, f.changeStyle, f.unit, currency);
  if (shown.direction === 'flat') return '';
  return (shown.direction === 'up') === (f.better === 'up') ? 'up' : 'down';
}

function figureTable(figures: Figure[], currency: string): string {
  if (figures.length === 0) return '';
  const rows = figures
    .map(
      (f) =>
        `<tr><td>${esc(f.label)}</td><td class="num">${esc(formatValue(f.current, f.unit, currency))}</td><td class="num">${esc(formatValue(f.previous, f.unit, currency))}</td><td class="num ${changeClass(f, currency)}">${esc(formatChange(f.change, f.changeStyle, f.unit, currency).text)}</td></tr>`,
    )
    .join('');
  return `<div class="scroll"><table><thead><tr><th>Metric</th><th class="num">This period</th><th class="num">Previous period</th><th class="num">Change</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function dataTable(table: ReportTable, currency: string): string {
  const head = table.columns.map((c) => `<th${c.unit ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${table.columns
          .map((c) => {
            const v = row[c.key];
            const text =
              v === null || v === undefined
                ? '–'
                : typeof v === 'number' && c.unit
                  ? formatValue(v, c.unit, currency)
                  : String(v);
            return `<td${c.unit ? ' class="num"' : ''}>${esc(text)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<div class="scroll"><table><caption class="muted">${esc(table.title)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function chart(c: Chart, currency: string): string {
  const format = (v: number) => formatValue(v, c.unit, currency);
  const svg =
    c.kind === 'line'
      ? lineChart(c.points, { title: c.title, format })
      : barChart(c.points, { title: c.title, format });
  return `<figure><figcaption>${esc(c.title)}</figcaption>${svg}</figure>`;
}

export function renderHtml(report: GrowthReport): string {
  const c = report.currency;
  const parts: string[] = [];
  parts.push(`<h1>${esc(report.title)}</h1>`);
  parts.push(
    `<p class="meta">Current period ${esc(report.current.start)} to ${esc(report.current.end)} (exclusive), compared with ${esc(report.previous.start)} to ${esc(report.previous.end)}. Money in ${esc(c.toUpperCase())}.</p>`,
  );
  parts.push(`<p class="headline">${esc(report.insights.narrative.headline)}</p>`);
  for (const s of report.sections) {
    parts.push(`<section id="${s.id}"><h2>${esc(s.title)}</h2>`);
    const g = report.goal;
    if (s.id === 'revenue' && g) {
      if (g.progress !== null && g.mrr !== null) {
        const label = `${formatMoney(g.mrr, c)} of ${formatMoney(g.mrrGoal, c)} goal (${formatPercent(g.progress)})`;
        parts.push(
          `<figure><figcaption>MRR goal</figcaption>${progressBar(g.progress, { title: 'MRR goal progress', label })}</figure>`,
        );
      } else {
        parts.push(`<p>MRR goal ${esc(formatMoney(g.mrrGoal, c))}: no MRR figure for this period.</p>`);
      }
    }
    parts.push(figureTable(s.figures, c));
    for (const t of s.tables) parts.push(dataTable(t, c));
    for (const ch of s.charts) parts.push(chart(ch, c));
    for (const n of s.notes) parts.push(`<p class="muted">${esc(n)}</p>`);
    parts.push('</section>');
  }
  const i = report.insights;
  parts.push('<section id="insights"><h2>Insights</h2>', `<p>${esc(i.narrative.summary)}</p>`);
  if (i.narrative.highlights.length)
    parts.push(
      `<h3>Highlights</h3><ul>${i.narrative.highlights.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>`,
    );
  if (i.narrative.risks.length)
    parts.push(`<h3>Risks</h3><ul>${i.narrative.risks.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>`);
  if (i.findings.length) {
    const rows = i.findings
      .map((f) => {
        const evidence = f.evidence
          .map(
            (e) =>
              `${e.label}: ${formatValue(e.current, e.unit, c)}${e.previous !== undefined && e.previous !== null ? ` (prev ${formatValue(e.previous, e.unit, c)})` : ''}`,
          )
          .join('; ');
        return `<tr><td><span class="sev ${f.severity}">${f.severity}</span></td><td>${esc(f.title)}</td><td>${esc(evidence)}</td></tr>`;
      })
      .join('');
    parts.push(
      `<div class="scroll"><table><thead><tr><th>Severity</th><th>Finding</th><th>Evidence</th></tr></thead><tbody>${rows}</tbody></table></div>`,
    );
  } else {
    parts.push('<p>No rule fired for this period.</p>');
  }
  parts.push(`<p class="muted">${esc(i.sourceLine)}</p></section>`);
  parts.push('<section id="recommendations"><h2>Recommendations</h2>');
  parts.push(
    report.recommendations.length
      ? `<ol>${report.recommendations.map((r) => `<li><strong>${esc(r.title)}</strong> (${r.priority}): ${esc(r.detail)}</li>`).join('')}</ol>`
      : '<p>Nothing to recommend: every figure is within its threshold.</p>',
  );
  parts.push('</section>');
  parts.push(
    `<details><summary>Metric choices used</summary><ul>${report.metricChoices.map((m) => `<li><strong>${esc(m.name)}:</strong> ${esc(m.value)}</li>`).join('')}</ul>${
      report.missing.length
        ? `<p class="muted">Figures without data: ${esc(report.missing.join('; '))}.</p>`
        : ''
    }</details>`,
  );
  parts.push(
    `<p class="meta">org-reports growth · report format v${report.version} · as of ${esc(report.asOf)}</p>`,
  );
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(report.title)}</title><style>${css}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
