import type { ReactNode } from 'react';
import { Suspense } from 'react';
import { logoutAction } from '../app/actions.ts';
import { Nav } from './nav.tsx';

/** The dashboard frame: navigation (with sign-out when signed in) and the page. */
export function Shell({ children, signedIn }: { children: ReactNode; signedIn: boolean }) {
  const footer = signedIn ? (
    <form action={logoutAction} className="sign-out">
      <button type="submit" className="secondary">
        Sign out
      </button>
    </form>
  ) : null;
  return (
    <div className="shell">
      <header className="sidebar">
        <Suspense>
          <Nav footer={footer} />
        </Suspense>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
