import 'server-only';
import { createServerClient } from '@supabase/ssr';
import { cookies } from 'next/headers';

/** Supabase Auth for the dashboard when NEXT_PUBLIC_SUPABASE_URL is set; sessions live in Supabase's cookies. */
export async function supabaseServerClient(url: string, anonKey: string) {
  const store = await cookies();
  return createServerClient(url, anonKey, {
    cookies: {
      getAll: () => store.getAll(),
      setAll: (list) => {
        try {
          for (const { name, value, options } of list)
            store.set(name, value, { ...options, httpOnly: true, sameSite: 'strict' });
        } catch {
          // Server components cannot set cookies; the next action or route handler refreshes them.
        }
      },
    },
  });
}

/** The admin claim: `app_metadata.role = 'admin'` (set by the service role; users cannot edit app_metadata). */
export function isAdminClaim(user: { app_metadata?: Record<string, unknown> } | null | undefined): boolean {
  return user?.app_metadata?.role === 'admin';
}
