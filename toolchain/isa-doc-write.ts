/**
 * Rewrites the opcode reference in docs/isa.md from the ISA table:
 *   npm run build --silent && node dist/toolchain/isa-doc-write.js
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withReference } from './isa-doc.js';

/** The repository root: the nearest directory above this file with a package.json (works from dist/ too). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('isa-doc-write: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

const path = join(repoRoot(), 'docs', 'isa.md');
const before = readFileSync(path, 'utf8');
const after = withReference(before);
if (after === before) {
  console.log(`${path}: up to date`);
} else {
  writeFileSync(path, after);
  console.log(`${path}: opcode reference rewritten`);
}
