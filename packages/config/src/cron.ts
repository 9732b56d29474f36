import cronParser from 'cron-parser';
import { z } from 'zod';

/**
 * A cron setting: five fields (minute hour day-of-month month day-of-week, UTC) or an alias such as
 * `@daily`, or `off`. Checked with cron-parser, the parser the job queue (pg-boss) schedules with,
 * so an expression the queue would refuse at start is refused here, naming the variable.
 */
export function cronSetting(defaultValue: string, description: string) {
  return z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (value === 'off') return;
      const fields = value.split(/\s+/);
      if (!value.startsWith('@') && fields.length !== 5) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a cron expression: it needs five fields (minute hour day month weekday, UTC), or 'off'`,
        });
        return;
      }
      try {
        cronParser.parseExpression(value, { tz: 'UTC' });
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a valid cron expression (${(error as Error).message}); use e.g. '30 2 * * *', or 'off'`,
        });
      }
    })
    .default(defaultValue)
    .describe(description);
}
