'use client';

import { useActionState } from 'react';
import { type LoginState, loginAction } from './actions.ts';

export function LoginForm({ withEmail }: { withEmail: boolean }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(loginAction, {});
  return (
    <form action={action}>
      {withEmail ? (
        <>
          <label htmlFor="email">Email</label>
          <input id="email" name="email" type="email" autoComplete="username" required />
        </>
      ) : null}
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      {state.error ? (
        <p className="error" role="alert">
          {state.error}
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
