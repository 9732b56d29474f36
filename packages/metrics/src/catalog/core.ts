import { z } from 'zod';
import { defineCatalog } from './define.ts';

const money = { amount: z.number().int().nonnegative(), currency: z.string().regex(/^[a-z]{3}$/) };

/**
 * Events every product shares: user lifecycle, checkout and payments, feature usage, performance,
 * errors. Category `system` is not user activity (it never makes a user active).
 */
export const coreCatalog = defineCatalog({
  user_signed_up: {
    category: 'lifecycle',
    properties: z.object({
      method: z.enum(['email', 'google', 'github', 'sso', 'invite']).optional(),
      plan: z.string().optional(),
    }),
  },
  user_logged_in: { category: 'lifecycle', properties: z.object({ method: z.string().optional() }) },
  user_invited: { category: 'lifecycle', properties: z.object({ role: z.string().optional() }) },
  account_created: { category: 'lifecycle', properties: z.object({ plan: z.string().optional() }) },
  user_deleted: { category: 'lifecycle', properties: z.object({ reason: z.string().optional() }) },
  checkout_started: { category: 'billing', properties: z.object({ plan: z.string(), ...money }) },
  checkout_completed: { category: 'billing', properties: z.object({ plan: z.string(), ...money }) },
  payment_failed: { category: 'billing', properties: z.object({ ...money, reason: z.string().optional() }) },
  subscription_canceled: {
    category: 'billing',
    properties: z.object({ plan: z.string().optional(), reason: z.string().optional() }),
  },
  feature_used: {
    category: 'feature',
    properties: z.object({ feature: z.string().min(1), count: z.number().int().positive().optional() }),
  },
  page_viewed: { category: 'navigation', properties: z.object({ path: z.string() }) },
  request_timed: {
    category: 'performance',
    properties: z.object({
      route: z.string(),
      durationMs: z.number().nonnegative(),
      status: z.number().int().optional(),
    }),
  },
  error_occurred: {
    category: 'error',
    properties: z.object({
      code: z.string(),
      message: z.string().max(500).optional(),
      route: z.string().optional(),
    }),
  },
  heartbeat: { category: 'system', properties: z.object({}) },
});

export type CoreCatalog = typeof coreCatalog;
