'use client';

/** A page that failed to render: the navigation stays (the layout holds it); the page can be retried. */
export default function DashboardError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <>
      <h1>This page could not be loaded</h1>
      <section className="card" role="alert">
        <p>
          Something went wrong while reading its figures. The database may be unreachable for a moment; try
          again, or open another page.
        </p>
        {error.digest ? <p className="loading">Reference for the server log: {error.digest}</p> : null}
        <p>
          <button type="button" onClick={() => reset()}>
            Try again
          </button>
        </p>
      </section>
    </>
  );
}
