// Packs every publishable package the way `pnpm publish` does (workspace: ranges rewritten, only
// `files` included) and checks the tarball: publint for the manifest and files, Are the Types
// Wrong for the types a consumer's TypeScript resolves (ESM-only packages: the node16 and bundler
// resolutions must work; CommonJS `require` is not offered).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '.bin', name);
const out = mkdtempSync(path.join(os.tmpdir(), 'org-publish-check-'));
const packages = readdirSync(path.join(root, 'packages')).filter(
  (dir) => !JSON.parse(readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')).private,
);

let failures = 0;
try {
  for (const dir of packages) {
    const cwd = path.join(root, 'packages', dir);
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd, stdio: 'ignore' });
    const name = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8')).name;
    const tarball = readdirSync(out).find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`));
    for (const [tool, args] of [
      ['publint', [path.join(out, tarball), '--strict']],
      ['attw', [path.join(out, tarball), '--profile', 'esm-only', '--format', 'table-flipped']],
    ]) {
      try {
        execFileSync(bin(tool), args, { cwd, stdio: 'pipe' });
        console.log(`${name}: ${tool} ok`);
      } catch (error) {
        failures++;
        console.log(`${name}: ${tool} found problems\n${error.stdout}${error.stderr}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
