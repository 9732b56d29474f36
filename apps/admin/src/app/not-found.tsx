import Link from 'next/link';
import { Shell } from '../components/shell.tsx';
import { currentAdmin } from '../lib/auth/server.ts';

export const metadata = { title: 'Page not found · Admin' };

/** Any address without a page: the navigation stays, so the way back is one click. */
export default async function NotFound() {
  const signedIn = (await currentAdmin()) !== null;
  return (
    <Shell signedIn={signedIn}>
      <h1>Page not found</h1>
      <p>
        There is no page at this address.{' '}
        {signedIn ? <Link href="/">Go to the overview</Link> : <Link href="/login">Sign in</Link>}
      </p>
    </Shell>
  );
}
