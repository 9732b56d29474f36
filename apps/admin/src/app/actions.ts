'use server';

import { redirect } from 'next/navigation';
import { logout, requireAdmin } from '../lib/auth/server.ts';

export async function logoutAction(): Promise<void> {
  await requireAdmin();
  await logout();
  redirect('/login');
}
