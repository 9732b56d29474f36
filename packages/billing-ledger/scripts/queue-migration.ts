// Writes the queue's migration (supabase/migrations/<QUEUE_SCHEMA_MIGRATION>) from the installed
// pg-boss: `pnpm --filter @org/billing-ledger queue-migration`; `--print` writes it to stdout.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUEUE_SCHEMA_MIGRATION, queueSchemaSql } from '../src/queue-schema.ts';

const sql = await queueSchemaSql();
if (process.argv.includes('--print')) process.stdout.write(sql);
else {
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../supabase/migrations',
    QUEUE_SCHEMA_MIGRATION,
  );
  writeFileSync(file, sql);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
