'use server';

import { replayEvent } from '@org/billing-ledger';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { requireAdmin } from '../../../lib/auth/server.ts';
import { pool } from '../../../lib/db.ts';

const input = z.object({
  id: z.string().regex(/^[A-Za-z0-9_]{1,255}$/),
  back: z.string().max(500).optional(),
});

/** Puts a dead (or failed) Stripe event back on the queue. Admin only; Next checks the Origin of actions. */
export async function replayAction(form: FormData): Promise<void> {
  await requireAdmin();
  const parsed = input.safeParse({ id: form.get('id'), back: form.get('back') ?? undefined });
  if (!parsed.success) redirect('/ledger?error=invalid_event_id');
  const result = await replayEvent(await pool(), parsed.data.id);
  revalidatePath('/ledger');
  const back = parsed.data.back?.startsWith('/ledger') ? parsed.data.back : '/ledger';
  const sep = back.includes('?') ? '&' : '?';
  redirect(
    result.ok
      ? `${back}${sep}replayed=${encodeURIComponent(parsed.data.id)}`
      : `${back}${sep}error=${encodeURIComponent(result.error.code)}`,
  );
}
