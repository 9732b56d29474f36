import type { CommandModule } from '../program.ts';
import { auditCommand } from './audit.ts';
import { backfillCommand } from './backfill.ts';
import { cohortsCommand } from './cohorts.ts';
import { dashboardCommand } from './dashboard.ts';
import { dbCommand } from './db.ts';
import { demoCommand } from './demo.ts';
import { fxCommand } from './fx.ts';
import { growthCommand } from './growth.ts';
import { insightsCommand } from './insights.ts';
import { keysCommand } from './keys.ts';
import { kpisCommand } from './kpis.ts';
import { lifecycleCommand } from './lifecycle.ts';
import { migrateCommand } from './migrate.ts';
import { reconcileCommand } from './reconcile.ts';
import { revenueCommand } from './revenue.ts';
import { walletsCommand } from './wallets.ts';
import { webhooksCommand } from './webhooks.ts';
import { workerCommand } from './worker.ts';

/** Every command of org-reports; each module registers its own subcommands. */
export const commands: CommandModule[] = [
  migrateCommand,
  dbCommand,
  dashboardCommand,
  demoCommand,
  growthCommand,
  insightsCommand,
  reconcileCommand,
  walletsCommand,
  auditCommand,
  backfillCommand,
  cohortsCommand,
  lifecycleCommand,
  kpisCommand,
  keysCommand,
  revenueCommand,
  fxCommand,
  webhooksCommand,
  workerCommand,
];
