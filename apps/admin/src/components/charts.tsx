'use client';

import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatCount, formatMoney, formatPercent } from '../lib/format.ts';

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
  kind: 'line' | 'bar' | 'stacked' | 'area';
  height?: number;
}

/** A labelled time/category chart; the page renders the same data as a table next to it. */
export function Chart({ data, xKey, xLabel, yLabel, series, format, kind, height = 280 }: ChartProps) {
  const tick = formatter(format, true);
  const tip = formatter(format);
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
      <XAxis
        dataKey={xKey}
        tick={{ fontSize: 12 }}
        label={{ value: xLabel, position: 'insideBottom', offset: -4, fontSize: 12 }}
        height={44}
        {...(kind === 'bar' || kind === 'stacked' ? { interval: 0 } : {})}
      />
      <YAxis
        tickFormatter={tick}
        tick={{ fontSize: 12 }}
        width={80}
        label={{ value: yLabel, angle: -90, position: 'insideLeft', fontSize: 12, dy: 40 }}
      />
      <Tooltip formatter={(v) => tip(v)} />
      {series.length > 1 ? <Legend verticalAlign="top" height={28} /> : null}
    </>
  );
  return (
    <div className="chart" role="img" aria-label={`${yLabel} by ${xLabel}`}>
      <ResponsiveContainer width="100%" height={height}>
        {kind === 'line' ? (
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {series.map((s) => (
              <Line
                key={s.key}
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
          <AreaChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {series.map((s) => (
              <Area
                key={s.key}
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
          <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {series.map((s) => (
              <Bar
                key={s.key}
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
