import type { ReactNode } from 'react';

/**
 * Renders `children` with a promise's value: inside a Suspense boundary, a section streams in when
 * its query answers while the rest of the page is already shown. Server components only.
 */
export async function Await<T>({
  promise,
  children,
}: {
  promise: Promise<T>;
  children: (value: T) => ReactNode;
}) {
  return children(await promise);
}

/** The placeholder of a section whose figures are still on their way. */
export function Pending({ what = 'figures' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** Starts a query now and lets a later Await report its failure (no unhandled rejection meanwhile). */
export function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
