import { defineConfig } from 'tsup';

export default defineConfig({
  // `./money` is the money arithmetic and formatter alone, with no dependency: safe in a browser bundle.
  entry: ['src/index.ts', 'src/testing/index.ts', 'src/pure/money.ts'],
  format: ['esm'],
  // tsup's declaration build sets baseUrl, which TypeScript 6 deprecates.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
