import type { CommandModule } from '../program.ts';
import { cohortsCommand } from './cohorts.ts';
import { dbCommand } from './db.ts';
import { demoCommand } from './demo.ts';
import { growthCommand } from './growth.ts';
import { insightsCommand } from './insights.ts';
import { kpisCommand } from './kpis.ts';
import { lifecycleCommand } from './lifecycle.ts';
import { migrateCommand } from './migrate.ts';
import { reconcileCommand } from './reconcile.ts';
import { walletsCommand } from './wallets.ts';

/** Every command of org-reports; each module registers its own subcommands. */
export const commands: CommandModule[] = [migrateCommand, dbCommand, demoCommand, growthCommand, insightsCommand, reconcileCommand, walletsCommand, cohortsCommand, lifecycleCommand, kpisCommand];
