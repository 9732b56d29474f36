'use client';

import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';

const pages = [
  { href: '/', label: 'Overview' },
  { href: '/revenue', label: 'Revenue' },
  { href: '/engagement', label: 'Engagement & funnels' },
  { href: '/cohorts', label: 'Cohorts' },
  { href: '/lifecycle', label: 'Lifecycle' },
  { href: '/ledger', label: 'Ledger health' },
  { href: '/insights', label: 'Insights' },
];

/** Page links that keep the selected period. */
export function Nav() {
  const pathname = usePathname();
  const search = useSearchParams();
  const keep = new URLSearchParams();
  for (const key of ['days', 'from', 'to']) {
    const v = search.get(key);
    if (v) keep.set(key, v);
  }
  const suffix = keep.size ? `?${keep}` : '';
  return (
    <ul className="nav">
      {pages.map((p) => (
        <li key={p.href}>
          <Link href={`${p.href}${suffix}`} aria-current={pathname === p.href ? 'page' : undefined}>
            {p.label}
          </Link>
        </li>
      ))}
    </ul>
  );
}
