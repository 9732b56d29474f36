import Link from 'next/link';
import { type Period, PRESETS, periodQuery } from '../lib/period.ts';

/** 7/30/90-day presets and a custom range, all in the URL (works without JavaScript: a GET form). */
export function PeriodSelector({
  period,
  path,
  extra = {},
}: {
  period: Period;
  path: string;
  extra?: Record<string, string | undefined>;
}) {
  // A preset ends where the current period ends when that end was chosen (a custom range's end
  // too); otherwise it follows the default end (today included).
  const presetLink = (days: number) => {
    const q = new URLSearchParams({ days: String(days) });
    if (period.pinnedTo) q.set('to', period.to);
    for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
    return `${path}?${q}`;
  };
  return (
    <nav className="period" aria-label="Period">
      <span className="period-label">
        Period: <strong data-testid="period-range">{period.from}</strong> to <strong>{period.to}</strong>{' '}
        (exclusive, {period.days} days)
      </span>
      <ul>
        {PRESETS.map((d) => (
          <li key={d}>
            <Link
              href={presetLink(d)}
              aria-current={period.preset === d ? 'page' : undefined}
              data-testid={`period-${d}`}
            >
              {d} days
            </Link>
          </li>
        ))}
      </ul>
      <form method="get" action={path} className="period-custom">
        {Object.entries(extra).map(([k, v]) =>
          v ? <input key={k} type="hidden" name={k} value={v} /> : null,
        )}
        <label>
          From <input type="date" name="from" defaultValue={period.from} required />
        </label>
        <label>
          To (exclusive) <input type="date" name="to" defaultValue={period.to} required />
        </label>
        <button type="submit">Apply</button>
      </form>
      <span className="sr-only">{periodQuery(period)}</span>
    </nav>
  );
}
