/**
 * docs/isa.md's opcode reference must be the one generated from the ISA table.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { projectFile } from '../../vmm/paths.js';
import { ISA } from '../../vmm/isa/table.js';
import { BEGIN_MARKER, END_MARKER, extractReference, formOf, isaReference, withReference } from '../../toolchain/isa-doc.js';

const DOC = projectFile('docs', 'isa.md');
const REGENERATE = 'npm run docs:isa';

t.test('docs/isa.md carries the opcode reference generated from vmm/isa/table.ts', async (t) => {
  const doc = readFileSync(DOC, 'utf8');
  const section = extractReference(doc);
  t.ok(section !== undefined, `docs/isa.md has the markers ${BEGIN_MARKER} … ${END_MARKER}`);
  t.ok(section === isaReference(),
    `docs/isa.md's opcode reference is out of date with vmm/isa/table.ts; regenerate it with: ${REGENERATE}`);
});

t.test('the reference has one row per table entry, in opcode order', async (t) => {
  const rows = isaReference().trim().split('\n').slice(2);
  t.equal(rows.length, ISA.length);
  const ops = rows.map((r) => parseInt(/`0x([0-9a-f]{2})`/.exec(r)![1]!, 16));
  t.same(ops, [...ops].sort((a, b) => a - b));
  for (const d of ISA) t.ok(rows.some((r) => r.includes(`\`${formOf(d)}\``)), formOf(d));
  // Seven cells each: a `|` inside a cell (the `or` summary) must be escaped.
  for (const r of rows) t.equal(r.split(/(?<!\\)\|/).length, 9, r);
});

t.test('withReference replaces only the text between the markers', async (t) => {
  const doc = `before\n${BEGIN_MARKER}\nold\n${END_MARKER}\nafter\n`;
  const out = withReference(doc, 'NEW\n');
  t.equal(out, `before\n${BEGIN_MARKER}\nNEW\n${END_MARKER}\nafter\n`);
  t.equal(extractReference(out), 'NEW\n');
  t.equal(withReference(out, 'NEW\n'), out, 'idempotent');
  t.throws(() => withReference('no markers'), /markers/);
});
