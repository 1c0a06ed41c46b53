/**
 * The linker's pre-assembled objects (toolchain/ld/fragment.ts) must give exactly the image the
 * assembler gives for the concatenation: every corpus program with crt0 and the libc, at
 * several load addresses, and objects that the fragments refuse (macros, unscoped local labels,
 * .org, large alignments) or that fail to link, whose diagnostics must not change either.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileObject, libcObjects, runtimeObjects } from '../../toolchain/cc/driver.js';
import { makeFragment } from '../../toolchain/ld/fragment.js';
import { link, LinkError, type LinkOptions } from '../../toolchain/ld/link.js';
import { parseObject, type ObjectFile } from '../../toolchain/ld/object.js';
import { projectFile } from '../../vmm/paths.js';

const corpusDir = projectFile('tests', 'cc', 'corpus');
const corpus = readdirSync(corpusDir).filter((f) => f.endsWith('.c')).sort()
  .map((f) => compileObject(readFileSync(join(corpusDir, f), 'utf8'), `tests/cc/corpus/${f}`));

function bothWays(objs: ObjectFile[], opts: LinkOptions): { fast: unknown; slow: unknown } {
  const one = (preassembled: boolean): unknown => {
    try {
      return link(objs, { ...opts, preassembled }).image;
    } catch (e) {
      if (e instanceof LinkError) return { error: e.message };
      throw e;
    }
  };
  return { fast: one(true), slow: one(false) };
}

t.test('every corpus program links to the same image either way', async (t) => {
  const lib = libcObjects();
  const layouts: LinkOptions[] = [{}, { textBase: 0x40000000 }, { textBase: 0x200000, dataBase: 0x300002, bssBase: 0x500001 }];
  for (const p of corpus) {
    for (const o of layouts) {
      const { fast, slow } = bothWays([...runtimeObjects(), p], { ...o, libraries: [lib] });
      t.same(fast, slow, `${p.name} ${JSON.stringify(o)}`);
    }
  }
  // The libc members and the compiled programs are all pre-assembled (the fast path is taken).
  t.ok([...lib, ...corpus, ...runtimeObjects()].every((o) => makeFragment(o.name, o.text) !== undefined), 'all have fragments');
});

const A = parseObject('a.s', `
.global _start
_start:
        call helper
        mov eax, [table + 4]
        jmp .out
.out:   hlt
.data
table:  .dword 1, _start, helper + 8
.equ LATER, helper - _start
        .dword LATER
.bss
        .space 12
`);
const B = parseObject('b.s', `
helper: ret
.data
        .byte 1
msg:    .asciz "hi"
`);

t.test('hand-written objects, refused objects and errors agree', async (t) => {
  const cases: [string, ObjectFile[]][] = [
    ['plain', [A, B]],
    ['macro', [A, parseObject('m.s', '.macro twice x\n  .byte x, x\n.endm\nhelper: ret\n.data\n twice 3\n')]],
    ['unscoped local', [A, parseObject('l.s', '.data\n.byte 2\n.text\n.loc: jmp .loc\nhelper: ret\n')]],
    ['org', [A, parseObject('o.s', 'helper: ret\n.data\n.org 0x2000\n.byte 5\n')]],
    ['align 16', [A, parseObject('al.s', 'helper: ret\n.data\n.byte 1\n.align 16\n.byte 2\n')]],
    ['undefined', [A]],
    ['duplicate', [A, B, parseObject('c.s', 'helper: ret\n')]],
    ['bad operand', [A, B, parseObject('d.s', 'x: int 300\n')]],
  ];
  for (const [name, objs] of cases) {
    const { fast, slow } = bothWays(objs, {});
    t.same(fast, slow, name);
  }
  t.ok(makeFragment(A.name, A.text) && makeFragment(B.name, B.text), "the plain case is pre-assembled (the fast path's)");
  t.equal(makeFragment('m.s', '.macro m\n.endm\n'), undefined, 'a macro definition is refused');
  t.equal(makeFragment('o.s', '.org 16\n'), undefined, '.org is refused');
});
