import type { ReactNode } from 'react';
import { Suspense } from 'react';
import { Nav } from '../../components/nav.tsx';
import { requireAdmin } from '../../lib/auth/server.ts';
import { logoutAction } from '../actions.ts';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  await requireAdmin();
  return (
    <div className="shell">
      <aside className="sidebar">
        <h1>Revenue &amp; growth</h1>
        <Suspense>
          <Nav />
        </Suspense>
        <form action={logoutAction}>
          <button type="submit" className="secondary">
            Sign out
          </button>
        </form>
      </aside>
      <main className="content">{children}</main>
    </div>
  );
}
