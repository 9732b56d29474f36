'use client';

/** Errors outside the dashboard frame (sign-in, or the frame itself): a message and ways back. */
export default function RootError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main className="login" role="alert">
      <h1>Something went wrong</h1>
      <p>The dashboard could not answer this request. The database may be unreachable for a moment.</p>
      {error.digest ? <p className="loading">Reference for the server log: {error.digest}</p> : null}
      <p>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>{' '}
        <a href="/">Overview</a> · <a href="/login">Sign in</a>
      </p>
    </main>
  );
}
