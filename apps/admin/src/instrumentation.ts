/** Runs once per server process before requests are served (Next.js instrumentation hook). */
export async function register(): Promise<void> {
  // biome-ignore lint/style/noProcessEnv: Next's runtime marker, not configuration.
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { installPeerHook } = await import('./lib/auth/peer.ts');
  installPeerHook();
}
