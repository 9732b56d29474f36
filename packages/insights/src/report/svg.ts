/**
 * Tiny, dependency-free SVG charts for the standalone HTML report: pure functions from numbers to
 * markup, deterministic output (fixed precision), no scripts, no external fonts or images.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const r = (n: number) => Number(n.toFixed(1)).toString();

export interface ChartPoint {
  label: string;
  value: number;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  title: string;
  format: (value: number) => string;
}

function frame(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>${body}</svg>`;
}

/** A line chart with min/max labels on the y axis and first/last labels on the x axis. */
export function lineChart(points: ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 180;
  const pad = { top: 12, right: 12, bottom: 24, left: 72 };
  if (points.length === 0)
    return frame(
      width,
      height,
      options.title,
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text>`,
    );
  const values = points.map((p) => p.value);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (points.length === 1 ? w / 2 : (i * w) / (points.length - 1));
  const y = (v: number) => pad.top + h - ((v - min) / (max - min)) * h;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(x(i))},${r(y(p.value))}`).join(' ');
  const axis = [
    `<line x1="${pad.left}" y1="${pad.top + h}" x2="${pad.left + w}" y2="${pad.top + h}" class="axis"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + h}" class="axis"/>`,
    `<text x="${pad.left - 6}" y="${r(y(max) + 4)}" text-anchor="end">${escapeXml(options.format(max))}</text>`,
    `<text x="${pad.left - 6}" y="${r(y(min) + 4)}" text-anchor="end">${escapeXml(options.format(min))}</text>`,
    `<text x="${pad.left}" y="${height - 6}" text-anchor="start">${escapeXml(points[0]!.label)}</text>`,
    `<text x="${pad.left + w}" y="${height - 6}" text-anchor="end">${escapeXml(points.at(-1)!.label)}</text>`,
  ].join('');
  const dots =
    points.length <= 31
      ? points
          .map(
            (p, i) =>
              `<circle cx="${r(x(i))}" cy="${r(y(p.value))}" r="2.5" class="dot"><title>${escapeXml(`${p.label}: ${options.format(p.value)}`)}</title></circle>`,
          )
          .join('')
      : '';
  return frame(width, height, options.title, `${axis}<path d="${path}" class="line" fill="none"/>${dots}`);
}

/** Horizontal bars (negative values extend left of the zero line), one row per point, value labels. */
export function barChart(points: ChartPoint[], options: ChartOptions): string {
  const width = options.width ?? 560;
  const row = 24;
  const labelWidth = 150;
  const valueWidth = 110;
  const height = options.height ?? Math.max(row, points.length * row) + 8;
  if (points.length === 0)
    return frame(
      width,
      height,
      options.title,
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text>`,
    );
  const maxAbs = Math.max(1, ...points.map((p) => Math.abs(p.value)));
  const hasNegative = points.some((p) => p.value < 0);
  const plot = width - labelWidth - valueWidth;
  const zero = labelWidth + (hasNegative ? plot / 2 : 0);
  const scale = (hasNegative ? plot / 2 : plot) / maxAbs;
  const bars = points
    .map((p, i) => {
      const yTop = 4 + i * row;
      const len = Math.abs(p.value) * scale;
      const x = p.value < 0 ? zero - len : zero;
      return [
        `<text x="${labelWidth - 8}" y="${yTop + 15}" text-anchor="end">${escapeXml(p.label)}</text>`,
        `<rect x="${r(x)}" y="${yTop + 3}" width="${r(Math.max(len, 0.5))}" height="${row - 8}" class="${p.value < 0 ? 'bar neg' : 'bar'}"><title>${escapeXml(`${p.label}: ${options.format(p.value)}`)}</title></rect>`,
        `<text x="${width - valueWidth + 8}" y="${yTop + 15}">${escapeXml(options.format(p.value))}</text>`,
      ].join('');
    })
    .join('');
  const zeroLine = `<line x1="${r(zero)}" y1="2" x2="${r(zero)}" y2="${height - 2}" class="axis"/>`;
  return frame(width, height, options.title, `${bars}${zeroLine}`);
}

/** A progress bar for a goal; `fraction` may exceed 1 (the bar is capped, the label is not). */
export function progressBar(
  fraction: number,
  options: { width?: number; title: string; label: string },
): string {
  const width = options.width ?? 560;
  const height = 28;
  const filled = Math.max(0, Math.min(1, fraction)) * (width - 2);
  return frame(
    width,
    height,
    options.title,
    `<rect x="1" y="1" width="${width - 2}" height="${height - 2}" rx="4" class="track"/><rect x="1" y="1" width="${r(filled)}" height="${height - 2}" rx="4" class="${fraction >= 1 ? 'fill done' : 'fill'}"/><text x="${width / 2}" y="19" text-anchor="middle" class="on-bar">${escapeXml(options.label)}</text>`,
  );
}
