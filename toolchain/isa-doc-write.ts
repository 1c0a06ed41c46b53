/**
 * Rewrites the opcode reference in docs/isa.md from the ISA table: `npm run docs:isa`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { projectFile } from '../vmm/paths.js';
import { withReference } from './isa-doc.js';

const path = projectFile('docs', 'isa.md');
const before = readFileSync(path, 'utf8');
const after = withReference(before);
if (after === before) {
  console.log(`${path}: up to date`);
} else {
  writeFileSync(path, after);
  console.log(`${path}: opcode reference rewritten`);
}
