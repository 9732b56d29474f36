import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * One vitest setup for every package: source imports through the `@org/source` condition, the
 * fail-on-console guard, a JSON report that `.ci/run` counts, and (for packages that use Postgres)
 * a global setup that starts the server and builds the migrated template once per run.
 */
export function projectConfig(options: { database?: boolean; testTimeout?: number } = {}): ViteUserConfig {
  return defineConfig({
    ssr: { resolve: { conditions: ['@org/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [path.join(here, 'fail-on-console.ts')],
      ...(options.database ? { globalSetup: [path.join(here, 'database-global-setup.ts')] } : {}),
      // A hang guard, not a speed check: database tests share a 2-core CI machine with every other
      // package's tests and have run 1.4x slower there than on a quiet one.
      testTimeout: options.testTimeout ?? (options.database ? 120_000 : 30_000),
      hookTimeout: 120_000,
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  });
}
