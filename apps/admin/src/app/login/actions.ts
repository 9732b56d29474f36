'use server';

import { redirect } from 'next/navigation';
import { login } from '../../lib/auth/server.ts';

export interface LoginState {
  error?: string;
}

export async function loginAction(_state: LoginState, form: FormData): Promise<LoginState> {
  const password = String(form.get('password') ?? '');
  const email = form.get('email');
  if (!password) return { error: 'Enter the password.' };
  const result = await login({ password, ...(typeof email === 'string' && email ? { email } : {}) });
  if (!result.ok) return { error: result.error };
  redirect('/');
}
