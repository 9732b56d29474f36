'use client';

import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';
import { type ReactNode, useState } from 'react';

const pages = [
  { href: '/', label: 'Overview' },
  { href: '/revenue', label: 'Revenue' },
  { href: '/engagement', label: 'Engagement & funnels' },
  { href: '/cohorts', label: 'Cohorts' },
  { href: '/lifecycle', label: 'Lifecycle' },
  { href: '/ledger', label: 'Ledger health' },
  { href: '/insights', label: 'Insights' },
];

/**
 * The site header: page links that keep the selected period, and `footer` (the sign-out form).
 * A sidebar on wide screens; on a phone a top bar whose links open from a Menu button.
 */
export function Nav({ footer }: { footer?: ReactNode }) {
  const pathname = usePathname();
  const search = useSearchParams();
  const [open, setOpen] = useState(false);
  const keep = new URLSearchParams();
  for (const key of ['days', 'from', 'to']) {
    const v = search.get(key);
    if (v) keep.set(key, v);
  }
  const suffix = keep.size ? `?${keep}` : '';
  return (
    <>
      <div className="topbar">
        <p className="brand">
          <Link href={`/${suffix}`}>Revenue &amp; growth</Link>
        </p>
        <button
          type="button"
          className="menu-toggle secondary"
          aria-expanded={open}
          aria-controls="site-nav"
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
      </div>
      <nav id="site-nav" className="site-nav" data-open={open} aria-label="Pages">
        <ul className="nav">
          {pages.map((p) => (
            <li key={p.href}>
              <Link
                href={`${p.href}${suffix}`}
                aria-current={pathname === p.href ? 'page' : undefined}
                onClick={() => setOpen(false)}
              >
                {p.label}
              </Link>
            </li>
          ))}
        </ul>
        {footer}
      </nav>
    </>
  );
}
