import type { ReactNode } from 'react';
import { Shell } from '../../components/shell.tsx';
import { requireAdmin } from '../../lib/auth/server.ts';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  await requireAdmin();
  return <Shell signedIn>{children}</Shell>;
}
