'use client';

import { type FormEvent, useState } from 'react';

/** Posts to /login/session; on success loads the dashboard, otherwise shows the server's message. */
export function LoginForm({ withEmail }: { withEmail: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password') ?? '');
    const email = form.get('email');
    if (!password) return setError('Enter the password.');
    setPending(true);
    setError(null);
    try {
      const res = await fetch('/login/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password, ...(typeof email === 'string' && email ? { email } : {}) }),
      });
      if (res.ok) {
        window.location.assign('/');
        return;
      }
      const data = (await res.json().catch(() => ({}))) as { error?: string };
      setError(data.error ?? `Sign-in failed (HTTP ${res.status}).`);
    } catch {
      setError('The server did not answer. Try again.');
    }
    setPending(false);
  }

  return (
    <form onSubmit={submit} method="post" action="/login/session">
      {withEmail ? (
        <>
          <label htmlFor="email">Email</label>
          <input id="email" name="email" type="email" autoComplete="username" required />
        </>
      ) : null}
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <p>
        <button type="submit" disabled={pending}>
          Sign in
        </button>
      </p>
    </form>
  );
}
