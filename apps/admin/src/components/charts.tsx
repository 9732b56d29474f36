'use client';

import { useState } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatCount, formatMoney, formatPercent } from '../lib/format.ts';
import { axisDateFormatter, tickLabelWidth, tickPlan } from '../lib/ticks.ts';

export interface Series {
  key: string;
  label: string;
  color: string;
}

export type ValueFormat = { kind: 'count' } | { kind: 'percent' } | { kind: 'money'; currency: string };

function formatter(format: ValueFormat, compact = false) {
  return (v: unknown) => {
    const n = typeof v === 'number' ? v : Number(v);
    if (format.kind === 'money') return formatMoney(n, format.currency, compact);
    if (format.kind === 'percent') return formatPercent(n, compact ? 0 : 1);
    return formatCount(n);
  };
}

interface ChartProps {
  data: Record<string, string | number | null>[];
  xKey: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  format: ValueFormat;
  /** `stacked`: bars stacked by sign, negatives below the zero line. */
  kind: 'line' | 'bar' | 'stacked' | 'area';
  height?: number;
}

const MARGIN = { top: 8, right: 12, bottom: 8, left: 4 };

/**
 * A labelled time/category chart (recharts); the page renders the same data as a table next to
 * it. Axis ticks are thinned to what fits the chart's current width, dates are shortened, and
 * stacked bars are stacked by sign: negative movements (churn, contraction, dormant) hang below the
 * zero line instead of piling on top of the positive ones. Each series' bars carry the class
 * `series-<key>`.
 */
export function Chart({ data, xKey, xLabel, yLabel, series, format, kind, height = 280 }: ChartProps) {
  const [width, setWidth] = useState<number | null>(null);
  const tick = formatter(format, true);
  const tip = formatter(format);
  const yWidth = format.kind === 'money' ? 64 : 52;
  const xValues = data.map((d) => String(d[xKey] ?? ''));
  const dateLabel = axisDateFormatter(xValues);
  const labels = dateLabel ? xValues.map(dateLabel) : xValues;
  // Lines and areas put their first and last points on the plot's edges: the labels centred there
  // need half their width of room beside the plot, or the chart's frame cuts them.
  const half = kind === 'line' || kind === 'area' ? Math.ceil(tickLabelWidth(labels) / 2) : 0;
  const right = Math.max(MARGIN.right, half);
  const plan = tickPlan(labels, width === null ? null : width - yWidth - MARGIN.left - right, {
    categorical: !dateLabel,
  });
  const margin = {
    ...MARGIN,
    right,
    left: MARGIN.left + Math.max(0, plan.extraLeft - yWidth, half - yWidth),
  };
  const hasNegative = data.some((d) =>
    series.some((s) => typeof d[s.key] === 'number' && (d[s.key] as number) < 0),
  );
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
      <XAxis
        dataKey={xKey}
        tick={{ fontSize: 12 }}
        {...(dateLabel ? { tickFormatter: (v: unknown) => dateLabel(String(v)) } : {})}
        interval={plan.interval}
        {...(plan.angle ? { angle: plan.angle, textAnchor: 'end' as const } : {})}
        minTickGap={4}
        label={{ value: xLabel, position: 'insideBottom', offset: -4, fontSize: 12 }}
        height={44 + plan.extraHeight}
      />
      <YAxis
        tickFormatter={tick}
        tick={{ fontSize: 12 }}
        width={yWidth}
        allowDecimals={format.kind !== 'count'}
        label={{ value: yLabel, angle: -90, position: 'insideLeft', fontSize: 12, dy: 40 }}
      />
      <Tooltip formatter={(v) => tip(v)} />
      {series.length > 1 ? (
        <Legend verticalAlign="top" wrapperStyle={{ fontSize: 12, lineHeight: '18px' }} />
      ) : null}
      {hasNegative ? (
        <ReferenceLine y={0} stroke="#374151" strokeWidth={1} ifOverflow="extendDomain" />
      ) : null}
    </>
  );
  return (
    // data-width: the width the ticks were planned for (tests wait for it before measuring labels).
    <div className="chart" role="img" aria-label={`${yLabel} by ${xLabel}`} data-width={width ?? undefined}>
      <ResponsiveContainer width="100%" height={height} onResize={(w) => setWidth(w)}>
        {kind === 'line' ? (
          <LineChart data={data} margin={margin}>
            {axes}
            {series.map((s) => (
              <Line
                key={s.key}
                className={`series-${s.key}`}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        ) : kind === 'area' ? (
          <AreaChart data={data} margin={margin}>
            {axes}
            {series.map((s) => (
              <Area
                key={s.key}
                className={`series-${s.key}`}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                fill={s.color}
                fillOpacity={0.2}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        ) : (
          <BarChart
            data={data}
            margin={margin}
            {...(kind === 'stacked' ? { stackOffset: 'sign' as const } : {})}
          >
            {axes}
            {series.map((s) => (
              <Bar
                key={s.key}
                className={`series-${s.key}`}
                dataKey={s.key}
                name={s.label}
                fill={s.color}
                isAnimationActive={false}
                {...(kind === 'stacked' ? { stackId: 'stack' } : {})}
              />
            ))}
          </BarChart>
        )}
      </ResponsiveContainer>
    </div>
  );
}

/** A tiny trend line for KPI cards (decorative; the card states the number). */
export function Sparkline({ values, color = '#2563eb' }: { values: number[]; color?: string }) {
  if (values.length < 2) return null;
  const data = values.map((v, i) => ({ i, v }));
  return (
    <div className="sparkline" aria-hidden="true">
      <ResponsiveContainer width="100%" height={36}>
        <LineChart data={data}>
          <Line
            type="monotone"
            dataKey="v"
            stroke={color}
            dot={false}
            strokeWidth={1.5}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
