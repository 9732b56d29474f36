import { redirect } from 'next/navigation';
import { authMode, currentAdmin } from '../../lib/auth/server.ts';
import { LoginForm } from './login-form.tsx';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  if (await currentAdmin()) redirect('/');
  const supabase = authMode() === 'supabase';
  return (
    <main className="login">
      <h1>Admin sign in</h1>
      <p>
        {supabase
          ? 'Sign in with a Supabase account whose app_metadata.role is admin.'
          : 'Use ADMIN_PASSWORD, or the password the demo printed (stored in .data/admin.json).'}
      </p>
      <LoginForm withEmail={supabase} />
    </main>
  );
}
