/**
 * The examples as a user would run them: `npm pack` the project, copy an example to a temporary
 * folder, and install the packed tarball there (no path back to the repository's sources).
 * One test file per example, so that they run side by side.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../vmm/paths.js';

export const root = projectRoot();

export function npm(cwd: string, ...args: string[]): string {
  return execFileSync('npm', args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

/** The example installed from a fresh tarball of the project; returns its folder. */
export function installExample(example: string): string {
  const work = mkdtempSync(join(tmpdir(), `vamos-${example}-`));
  // --ignore-scripts: the package's own scripts (a prepare that builds) must not rewrite dist/
  // under the other test files running meanwhile; CI built it already.
  const tarball = join(work, npm(root, 'pack', '--ignore-scripts', '--silent', '--pack-destination', work).trim().split('\n').pop()!);
  const dest = join(work, example);
  cpSync(join(root, 'examples', example), dest, {
    recursive: true, filter: (src) => !/node_modules|[/\\]dist$|\.(img|trc|vol)$/.test(src),
  });
  npm(dest, 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball);
  return dest;
}
