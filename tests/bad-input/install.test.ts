/**
 * Issue 15, item 13: `npm install` alone builds dist/ (a `prepare` script), so that the bin
 * (`npx vamos`) exists after the first command; the script never breaks an install (`npm ci` in
 * .ci/run reports a broken build itself, with `npm run build`).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectFile } from '../../vmm/paths.js';

const pkg = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

t.test('package.json builds on install, and the bin is what the build writes', async (t) => {
  t.equal(pkg.scripts.prepare, 'node scripts/prepare.mjs');
  t.equal(pkg.bin.vamos, 'dist/cli/vamos.js');
  const tsconfig = readFileSync(projectFile('tsconfig.json'), 'utf8');
  t.match(tsconfig, /"outDir": "dist"/);
  t.match(readFileSync(projectFile('README.md'), 'utf8'), /npm link/, 'the README says how to get vamos outside the checkout');
});

t.test('prepare without TypeScript says what to do and does not fail the install', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-prepare-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(projectFile('scripts', 'prepare.mjs'), join(dir, 'scripts', 'prepare.mjs'));
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'prepare.mjs')], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0);
  t.match(r.stderr, /TypeScript is not installed, so dist\/ was not built/);
});
