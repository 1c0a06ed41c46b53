/**
 * Finds files of the source tree (guest sources, profiles) from code that runs either from
 * TypeScript sources (tests) or from the compiled dist/ tree (the CLI): walk up from this module
 * to the directory whose package.json names the project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vamos') {
      return (root = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the vamos source tree (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function projectFile(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}
