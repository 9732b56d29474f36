import { describe, expect, it } from 'vitest';
import { EnvError, readEnv } from './read-env.ts';
import { ledger } from './schemas.ts';

describe('cron settings (BILLING_*_CRON)', () => {
  it('defaults, accepts five-field expressions, aliases and off', () => {
    expect(readEnv(ledger, {})).toMatchObject({
      BILLING_RECONCILE_CRON: '30 2 * * *',
      BILLING_WEBHOOK_RECOVERY_CRON: '17 * * * *',
      BILLING_AUDIT_CRON: '0 6 * * *',
    });
    const env = readEnv(ledger, {
      BILLING_RECONCILE_CRON: 'off',
      BILLING_WEBHOOK_RECOVERY_CRON: '*/15 * * * 1-5',
      BILLING_AUDIT_CRON: '@daily',
    });
    expect(env.BILLING_RECONCILE_CRON).toBe('off');
    expect(env.BILLING_WEBHOOK_RECOVERY_CRON).toBe('*/15 * * * 1-5');
    expect(env.BILLING_AUDIT_CRON).toBe('@daily');
  });

  it.each([
    ['61 * * * *', /expected range 0-59/],
    ['0 25 * * *', /expected range 0-23/],
    ['0 6 * *', /needs five fields/],
    ['every day', /needs five fields/],
    ['0 0 31 2 *', /not a valid cron expression/],
  ])('refuses %j with an error naming the variable', (value, why) => {
    let error: unknown;
    try {
      readEnv(ledger, { BILLING_AUDIT_CRON: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const issues = (error as EnvError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.variable).toBe('BILLING_AUDIT_CRON');
    expect(issues[0]!.problem).toMatch(why);
    expect((error as EnvError).message).toContain('BILLING_AUDIT_CRON');
  });
});
