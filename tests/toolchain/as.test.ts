import t from 'tap';
import fc from 'fast-check';
import { AsmError, assemble, assembleRaw, formatDiagnostic, type AssembleOptions, type Diagnostic } from '../../toolchain/as/assemble.js';
import { ISA } from '../../vmm/isa/table.js';
import { decodeAt } from '../../vmm/isa/encoding.js';
import { disassemble } from '../../vmm/isa/disasm.js';
import { SEG_R, SEG_W, SEG_X, type Image } from '../../toolchain/image/format.js';

function diagnostics(source: string, opts?: AssembleOptions): Diagnostic[] {
  try {
    assemble(source, opts);
  } catch (e) {
    if (e instanceof AsmError) return e.diagnostics;
    throw e;
  }
  throw new Error(`expected an error from:\n${source}`);
}

/** The one error a source produces, as `line:col: message`. */
function oneError(source: string, opts?: AssembleOptions): string {
  const ds = diagnostics(source, opts);
  if (ds.length !== 1) throw new Error(`expected one error, got:\n${ds.map(formatDiagnostic).join('\n')}`);
  const d = ds[0]!;
  return `${d.line}:${d.col}: ${d.message}`;
}

const u32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
const texts = (code: Uint8Array, base = 0): string[] => disassemble(code, base).map((l) => l.text);
const seg = (img: Image, name: string) => img.segments.find((s) => s.name === name);
const sym = (img: Image, name: string) => img.symbols.find((s) => s.name === name);

t.test('instructions, registers and case', async (t) => {
  t.strictSame(texts(assembleRaw('NOP\n  Mov EAX, 5 ; five\n mov ebx, eax // copy\nret')), ['nop', 'mov eax, 0x5', 'mov ebx, eax', 'ret']);
  t.strictSame(texts(assembleRaw('mov cr3, eax\nmov edx, CR0\nmov cr7, eax')), ['mov cr3, eax', 'mov edx, cr0', 'mov cr7, eax']);
  t.strictSame(texts(assembleRaw('mov eax, [ebx + ecx*4 + 8]\nmov eax, [8 + 4*ecx + ebx]\nmov [ebp - 4], esi\nmovzxb eax, [0x1000]')),
    ['mov eax, [ebx + ecx*4 + 0x8]', 'mov eax, [ebx + ecx*4 + 0x8]', 'mov dword [ebp - 0x4], esi'.replace('dword ', ''), 'movzxb eax, [0x1000]']);
  t.strictSame(texts(assembleRaw('lea eax, [ebx + esi]\nlea eax, [esi*2 + ebx - 2*3]')), ['lea eax, [ebx + esi]', 'lea eax, [ebx + esi*2 - 0x6]']);
  t.strictSame(texts(assembleRaw('shl eax, 31\nint 0x80\ninb eax, 0x3f8\noutb 0x3f8, eax\noutd edx, eax\npush -1\nmov eax, -5')),
    ['shl eax, 0x1f', 'int 0x80', 'inb eax, 0x3f8', 'outb 0x3f8, eax', 'outd edx, eax', 'push -1', 'mov eax, -5']);
});

t.test('labels and branches', async (t) => {
  const code = assembleRaw('start: jmp end\nmid: nop\nend: jmp start\na: b: c: jne mid', 0x1000);
  t.strictSame(texts(code, 0x1000), ['jmp 0x100c', 'nop', 'jmp 0x1000', 'jne 0x1008']);
  t.equal(u32(code, 4), 4, 'rel is target − next instruction');
  const { image } = assemble('x: y: nop\n.data\nd: .dword x, d, $');
  t.equal(sym(image, 'x')!.value, 0x100000);
  t.equal(sym(image, 'y')!.value, 0x100000);
  t.strictSame([...seg(image, '.data')!.data].length, 12);
  t.equal(u32(seg(image, '.data')!.data, 4), 0x101000);
  t.equal(u32(seg(image, '.data')!.data, 8), 0x101000, '$ is the address of the statement');
});

t.test('local labels', async (t) => {
  const src = `
f: mov ecx, 3
.loop: dec ecx
  jne .loop
  ret
g: jmp .loop
.loop: jmp f.loop
`;
  const { image } = assemble(src, { textBase: 0 });
  const code = seg(image, '.text')!.data;
  t.strictSame(texts(code), ['mov ecx, 0x3', 'dec ecx', 'jne 0x8', 'ret', 'jmp 0x20', 'jmp 0x8']);
  t.strictSame(image.symbols.map((s) => [s.name, s.value, s.kind]),
    [['f', 0, 'func'], ['f.loop', 8, 'label'], ['g', 0x18, 'func'], ['g.loop', 0x20, 'label']]);
  t.match(oneError('f: nop\n.x: nop\ng: jmp .x'), /3:8: undefined symbol 'g.x'/);
  t.match(oneError('f: nop\n.x: nop\n.x: nop'), /3:1: symbol 'f.x' is already defined \(at <input>:2\)/);
});

t.test('expressions', async (t) => {
  const v = (e: string): number => u32(assembleRaw(`.dword ${e}`));
  t.equal(v('1 + 2 * 3'), 7);
  t.equal(v('(1 + 2) * 3'), 9);
  t.equal(v('1 << 4 | 1'), 17);
  t.equal(v('6 & 3 ^ 1'), 3, '& binds tighter than ^');
  t.equal(v('-1'), 0xffffffff);
  t.equal(v('~0 >> 28'), 15, '>> is unsigned');
  t.equal(v('0xC0000000 / 4096'), 0xc0000, '/ is unsigned');
  t.equal(v('!0 + !5'), 1);
  t.equal(v("'a' + '\\n' + '\\x41' + '\\''"), 97 + 10 + 65 + 39);
  t.equal(v('0b1010 + 0o17 + 0x1_0000 + 1_000'), 10 + 15 + 0x10000 + 1000);
  t.equal(v('0xffffffff + 2'), 1, '32-bit wraparound');
  t.equal(v('1 << 32'), 0);
  t.equal(v('7 % 3 - 10 / 3'), 0xfffffffe);
  t.equal(oneError('.dword 1 + 2 / (3 - 3)'), '1:14: division by zero');
  t.equal(oneError('.dword 5 % 0'), '1:10: division by zero');
  t.equal(oneError('.dword 0x100000000'), '1:8: number \'0x100000000\' does not fit in 32 bits');
  t.equal(oneError('.dword 12ab'), "1:8: malformed number '12ab'");
  t.equal(oneError('.dword (1 + 2'), "1:14: expected ')'");
  t.equal(oneError(".dword 'ab'"), '1:8: a character constant holds exactly one character');
  t.equal(oneError('mov eax, ebx + 4'), "1:10: register 'ebx' cannot be part of an expression (memory operands need brackets)");
});

/** Random expression trees, printed with only the parentheses precedence needs. */
type Tree = { n: number; text: string } | { op: string; a: Tree } | { op: string; a: Tree; b: Tree };
const PREC: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
const M = 0xffffffffn;

function reference(tr: Tree): bigint {
  if ('n' in tr) return BigInt(tr.n);
  const a = reference(tr.a);
  if (!('b' in tr)) return tr.op === '-' ? (-a) & M : tr.op === '~' ? ~a & M : a === 0n ? 1n : 0n;
  const b = reference(tr.b);
  switch (tr.op) {
    case '*': return (a * b) & M;
    case '/': if (b === 0n) throw new RangeError('div'); return a / b;
    case '%': if (b === 0n) throw new RangeError('div'); return a % b;
    case '+': return (a + b) & M;
    case '-': return (a - b) & M;
    case '<<': return b >= 32n ? 0n : (a << b) & M;
    case '>>': return b >= 32n ? 0n : a >> b;
    case '&': return a & b;
    case '^': return a ^ b;
    default: return a | b;
  }
}

function print(tr: Tree): string {
  if ('n' in tr) return tr.text;
  if (!('b' in tr)) return `${tr.op}${'n' in tr.a ? print(tr.a) : `(${print(tr.a)})`}`;
  const p = PREC[tr.op]!;
  const side = (c: Tree, right: boolean): string => {
    const cp = 'n' in c || !('b' in c) ? 99 : PREC[c.op]!;
    return cp < p || (right && cp === p) ? `(${print(c)})` : print(c);
  };
  return `${side(tr.a, false)} ${tr.op} ${side(tr.b, true)}`;
}

const leaf: fc.Arbitrary<Tree> = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 0xffffffff }),
).chain((n) => fc.constantFrom(
  String(n), `0x${n.toString(16)}`, `0X${n.toString(16).toUpperCase()}`, `0b${n.toString(2)}`, `0o${n.toString(8)}`,
  ...(n >= 32 && n < 127 && n !== 39 && n !== 92 ? [`'${String.fromCharCode(n)}'`] : []),
).map((text) => ({ n, text })));

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constantFrom('-', '~', '!'), a: tie('t') }),
    fc.record({ op: fc.constantFrom(...Object.keys(PREC)), a: tie('t'), b: tie('t') })),
})).t;

t.test('the evaluator agrees with a BigInt reference on random expressions', async (t) => {
  fc.assert(fc.property(tree, (tr) => {
    const text = print(tr);
    let want: bigint | 'div';
    try { want = reference(tr); } catch { want = 'div'; }
    if (want === 'div') {
      return /division by zero/.test(diagnostics(`.dword ${text}`)[0]!.message);
    }
    return BigInt(u32(assembleRaw(`.dword ${text}`))) === want;
  }), { numRuns: 3000 });
  t.pass();
});

t.test('.equ and =', async (t) => {
  const code = assembleRaw('.equ A, B + 1\nB = 0x10\nC = end - start\nstart: mov eax, A\nmov ebx, C\nend:');
  t.strictSame(texts(code), ['mov eax, 0x11', 'mov ebx, 0x10']);
  const { image } = assemble('.equ K, 5\nx: nop');
  t.notOk(sym(image, 'K'), '.equ constants are not in the image');
  t.equal(oneError('.equ A, B\n.equ B, A\nnop'), "2:9: 'A' is defined in terms of itself");
  t.equal(oneError('.equ A, nothing'), "1:9: undefined symbol 'nothing'");
  t.equal(oneError('A = 1\nA = 2'), "2:1: symbol 'A' is already defined (at <input>:1)");
  t.equal(oneError('eax = 1'), "1:1: 'eax' is a register name and cannot name a symbol");
});

t.test('data directives', async (t) => {
  const { image } = assemble('.data\n.byte 1, -1, 255, "hi", \'x\'\n.word 0x1234, -2\n.dword 0xdeadbeef\n.ascii "a\\tb", "\\0"\n.asciz "z\\x41\\101\\\\"');
  t.strictSame([...seg(image, '.data')!.data],
    [1, 255, 255, 0x68, 0x69, 0x78, 0x34, 0x12, 0xfe, 0xff, 0xef, 0xbe, 0xad, 0xde, 0x61, 9, 0x62, 0, 0x7a, 0x41, 0x41, 0x5c, 0]);
  t.strictSame([...assembleRaw('.ascii "é"')], [0xc3, 0xa9], 'strings are UTF-8');
  t.equal(oneError('.byte 256'), '1:7: value 256 does not fit in a byte');
  t.equal(oneError('.byte -129'), '1:7: value -129 does not fit in a byte');
  t.equal(oneError('.word 0x10000'), '1:7: value 0x10000 does not fit in a word');
  t.equal(oneError('.ascii 5'), '1:8: expected a string in double quotes');
  t.equal(oneError('.ascii "abc'), '1:8: unterminated string');
  t.equal(oneError('.ascii "\\q"'), "1:9: unknown escape '\\q'");
});

t.test('.space, .align and .org', async (t) => {
  t.strictSame([...assembleRaw('.byte 1\n.space 3, 0xee\n.space 0\n.byte 2\n.align 4, 7\n.align 8\n.align 16\n.byte 3')],
    [1, 0xee, 0xee, 0xee, 2, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
  const code = assembleRaw('nop\n.org 0x1010\nhere: nop\n.org here + 8, 0xff\nnop', 0x1000);
  t.equal(code.length, 0x1c);
  t.equal(code[4], 0);
  t.equal(code[0x14], 0xff);
  t.equal(oneError('nop\nnop\n.org 4'), '3:6: .org 0x4 is below the current address 0x100008 (.org cannot go backwards)');
  t.equal(oneError('.align 3'), '1:8: .align 3 is not a power of two');
  t.equal(oneError('.space -1'), '1:8: .space size 0xffffffff is negative or far too large');
  t.equal(oneError('.space n\nn = 4'), "1:8: 'n' is defined further down, but this value decides addresses and must be known here");
  t.equal(oneError('.byte 1\nnop'), "2:1: instruction at 0x100001 is not 4-byte aligned (add '.align 4' before it)");
  t.equal(oneError('.space 4, 300'), '1:11: value 300 does not fit in a byte');
});

t.test('sections and layout', async (t) => {
  const src = '.text\n_start: nop\n.data\nd: .dword 1\n.bss\nb: .space 64\n.align 16\n.section .text\nret\n.section .rodata\n.byte 2';
  const { image } = assemble(src);
  t.strictSame(image.segments.map((s) => [s.name, s.vaddr, s.paddr, s.data.length, s.memSize, s.flags]), [
    ['.text', 0x100000, 0x100000, 8, 8, SEG_R | SEG_X],
    ['.data', 0x101000, 0x101000, 5, 5, SEG_R | SEG_W],
    ['.bss', 0x102000, 0x102000, 0, 64, SEG_R | SEG_W],
  ]);
  const big = assemble('.space 0x1001\n.data\nx: .byte 1\n.bss\ny: .space 1', { textBase: 0x2000 }).image;
  t.strictSame(big.segments.map((s) => s.vaddr), [0x2000, 0x4000, 0x5000], 'data after text rounded to 4096, bss after data');
  const placed = assemble('nop\n.data\n.byte 1\n.bss\n.space 4', { textBase: 0, dataBase: 0x8000, bssBase: 0x9000 }).image;
  t.strictSame(placed.segments.map((s) => s.vaddr), [0, 0x8000, 0x9000]);
  t.strictSame(assemble('nop').image.segments.map((s) => s.name), ['.text'], 'empty sections make no segment');
  t.strictSame(assemble('.data\n.org 0x100010\nx: .byte 1').image.segments[0]!.data.length, 0x11, '.org in .data is absolute');
  t.equal(oneError('.bss\nnop'), '2:1: instructions cannot go in .bss, which has no file bytes (only .space and .align)');
  t.equal(oneError('.bss\n.byte 1'), '2:1: data cannot go in .bss, which has no file bytes (only .space and .align)');
  t.equal(oneError('.bss\n.space 4, 1'), '2:11: .bss has no file bytes, so it cannot be filled with 0x1');
  t.equal(oneError('.section .foo'), '1:10: unknown section; known: .text, .data (also .rodata), .bss');
  t.match(diagnostics('nop\n.data\n.byte 1', { dataBase: 0x100000 })[0]!.message, /section .data \(0x100000..0x100000\) overlaps section .text/);
  t.match(diagnostics('nop', { textBase: -1 })[0]!.message, /textBase -1 is not a 32-bit unsigned integer/);
});

t.test('entry point', async (t) => {
  t.equal(assemble('nop\n_start: nop').image.entry, 0x100004, '_start');
  t.equal(assemble('nop\nmain: nop\n_start: nop', { entry: 'main' }).image.entry, 0x100004, 'entry option');
  t.equal(assemble('nop\nnop', { textBase: 0x4000 }).image.entry, 0x4000, 'start of text');
  t.strictSame(diagnostics('nop', { entry: 'main', file: 'k.s' }).map(formatDiagnostic), ["k.s: error: entry symbol 'main' is not defined"]);
});

t.test('symbols and sizes', async (t) => {
  const src = `
f: nop
.l: nop
   nop
g: ret
.data
a: .dword 1, 2
b: .byte 1
.bss
c: .space 10
`;
  const { image } = assemble(src, { textBase: 0, dataBase: 0x100, bssBase: 0x200 });
  t.strictSame(image.symbols, [
    { name: 'f', value: 0, size: 12, kind: 'func' },
    { name: 'f.l', value: 4, size: 8, kind: 'label' },
    { name: 'g', value: 12, size: 4, kind: 'func' },
    { name: 'a', value: 0x100, size: 8, kind: 'object' },
    { name: 'b', value: 0x108, size: 1, kind: 'object' },
    { name: 'c', value: 0x200, size: 10, kind: 'object' },
  ]);
  const fn = assemble('.func main\nnop\nret\n.endfunc\n.align 16\nafter: nop', { textBase: 0 }).image;
  t.strictSame(sym(fn, 'main'), { name: 'main', value: 0, size: 8, kind: 'func' }, '.endfunc sets the size');
  const dataFunc = assemble('nop\n.data\n.func thunk\nret\n.endfunc').image;
  t.equal(sym(dataFunc, 'thunk')!.kind, 'func');
  t.equal(oneError('.endfunc'), "1:1: '.endfunc' without '.func'");
  t.equal(oneError('.func a\nnop'), "1:1: '.func a' has no '.endfunc'");
  t.equal(oneError('.global nowhere\nnop'), "1:9: '.global nowhere' names an undefined symbol");
  t.ok(assemble('.global _start, x\n.globl y\n_start: x: y: nop'));
});

t.test('macros', async (t) => {
  const src = `
.macro spin reg, n
    mov \\reg, \\n
.again\\@:
    dec \\reg
    jne .again\\@
.endm
.macro twice a
    spin \\a, 2
    spin \\a, 2
.endm
.MACRO Nothing
.ENDM
f:  twice ecx
    nothing
    spin edx, 5 ; comment
`;
  const { image } = assemble(src, { textBase: 0 });
  t.strictSame(texts(seg(image, '.text')!.data), [
    'mov ecx, 0x2', 'dec ecx', 'jne 0x8',
    'mov ecx, 0x2', 'dec ecx', 'jne 0x1c',
    'mov edx, 0x5', 'dec edx', 'jne 0x30',
  ]);
  t.strictSame(image.symbols.filter((s) => s.kind === 'label').map((s) => s.name), ['f.again1', 'f.again2', 'f.again4']);
  t.strictSame(texts(assembleRaw('.macro m p\n jmp \\p\\()_end\n\\p\\()_end: ret\n.endm\nm x')), ['jmp 0x8', 'ret']);
  t.equal(oneError('.macro m a\nnop\n.endm\nm 1, 2'), "4:1: macro 'm' takes 1 argument(s), got 2");
  t.equal(oneError('.macro m\n nop'), "1:1: '.macro m' has no '.endm'");
  t.equal(oneError('.endm'), "1:1: '.endm' without '.macro'");
  t.equal(oneError('.macro mov\n.endm'), "1:8: 'mov' is an instruction and cannot name a macro");
  t.equal(oneError('.macro m 1x\n  bogus\n.endm'), "1:10: malformed number '1x'");
  t.equal(oneError('.macro m a-b\n  bogus\n.endm'), "1:9: bad macro parameter name 'a-b'");
  t.equal(oneError('.macro\n  bogus\n.endm'), '1:7: expected a macro name');
  t.equal(oneError('.macro m\n.endm\n.macro M\n.endm'), "3:8: macro 'M' is already defined");
  t.match(oneError('.macro r\n r\n.endm\nr'), /macros nested more than 64 deep/);
});

t.test('macro errors point into the body and name the invocation', async (t) => {
  const ds = diagnostics('.macro m x\n  int \\x\n.endm\n  m 300', { file: 'm.s' });
  t.equal(formatDiagnostic(ds[0]!), [
    'm.s:2:7: error: interrupt vector 300 out of range 0..255',
    '  int 300',
    '      ^',
    "m.s:4: note: in expansion of macro 'm'",
  ].join('\n'));
});

t.test('.include', async (t) => {
  const files: Record<string, string> = {
    'src/main.s': '.include "defs.inc"\n.include "lib.s"\n_start: mov eax, VALUE\ncall helper',
    'src/defs.inc': 'VALUE = 42',
    'lib/lib.s': 'helper: ret',
    'src/a.s': '.include "b.s"',
    'src/b.s': 'nop\n.include "a.s"',
  };
  const readFile = (p: string): string => {
    const f = files[p];
    if (f === undefined) throw new Error(`ENOENT: ${p}`);
    return f;
  };
  const { image } = assemble(files['src/main.s']!, { file: 'src/main.s', includeDirs: ['lib'], readFile, textBase: 0 });
  t.strictSame(texts(seg(image, '.text')!.data), ['ret', 'mov eax, 0x2a', 'call 0x0']);
  t.equal(image.entry, 4);
  const cyc = diagnostics(files['src/a.s']!, { file: 'src/a.s', readFile });
  t.equal(cyc.length, 1);
  t.equal(formatDiagnostic(cyc[0]!), 'src/b.s:2:10: error: include cycle: src/a.s -> src/b.s -> src/a.s\n.include "a.s"\n         ^');
  t.equal(oneError('.include "missing.s"', { readFile }), "1:10: cannot find include file 'missing.s' (looked for missing.s)");
  const inc = diagnostics('.include "bad.s"', { file: 'top.s', readFile: () => 'nop\n  bogus' });
  t.equal(formatDiagnostic(inc[0]!), "bad.s:2:3: error: unknown instruction 'bogus'\n  bogus\n  ^");
});

t.test('form selection and operand ranges', async (t) => {
  t.equal(oneError('mov [eax], [ebx]'),
    "1:1: no form of 'mov' takes (memory, memory); forms: mov r, r | mov r, imm32 | mov r, m | mov m, r | mov m, imm32 | mov cr, r | mov r, cr");
  t.equal(oneError('  ret eax'), "1:3: no form of 'ret' takes (register); forms: ret");
  t.equal(oneError('nop\nfrob eax'), "2:1: unknown instruction 'frob'");
  t.equal(oneError('shl eax, 32'), '1:10: shift count 32 out of range 0..31');
  t.equal(oneError('int -1'), '1:5: interrupt vector -1 out of range 0..255');
  t.equal(oneError('outb 0x10000, eax'), '1:6: port 0x10000 out of range 0..0xffff');
  t.equal(oneError('mov eax, cr8'), "1:10: no control register 'cr8' (cr0..cr7)");
  t.equal(oneError('mov eax, [ebx*3]'), '1:15: scale 3 is not 1, 2, 4 or 8');
  t.equal(oneError('mov eax, [ebx + ecx + edx]'), '1:23: a memory operand has at most one index register');
  t.equal(oneError('mov eax, [4 - ebx]'), '1:15: a register in an address cannot be subtracted');
  t.equal(oneError('mov eax, [ebx*ecx]'), '1:14: registers in an address must be base or index*scale (scale 1, 2, 4 or 8)');
  t.equal(oneError('mov eax, 1 2'), "1:12: expected ',' or the end of the line");
  t.equal(oneError('jmp nowhere'), "1:5: undefined symbol 'nowhere'");
  // every table form can be written
  for (const d of ISA) {
    const ops = d.operands.map((k) => ({ r: 'eax', c: 'cr0', m: '[ebx]', i: '1', rel: '0', u5: '1', u8: '1', p16: '1' })[k]);
    const r = decodeAt(assembleRaw(`${d.mnemonic} ${ops.join(', ')}`), 0);
    t.ok(r.ok && r.insn.def === d, `${d.mnemonic} ${d.operands.join(',')}`);
  }
});

t.test('error format', async (t) => {
  const e = (() => { try { assemble('nop\n\tmov eax,  ebx + 1\n', { file: 'x.s' }); } catch (err) { return err; } })();
  t.type(e, AsmError);
  const err = e as AsmError;
  t.equal(err.message, "x.s:2:12: error: register 'ebx' cannot be part of an expression (memory operands need brackets)\n\tmov eax,  ebx + 1\n\t          ^");
  t.strictSame(err.diagnostics[0], {
    file: 'x.s', line: 2, col: 12, source: '\tmov eax,  ebx + 1',
    message: "register 'ebx' cannot be part of an expression (memory operands need brackets)",
  });
  const many = diagnostics(Array.from({ length: 50 }, (_, i) => `bad${i}`).join('\n'));
  t.equal(many.length, 21, 'stops after 20 errors');
  t.equal(many[20]!.message, 'too many errors; stopping here');
  const order = diagnostics('jmp nowhere\n.byte 1 +\n');
  t.strictSame(order.map((d) => d.line), [1, 2], 'reported in source order');
  t.equal(oneError('mov eax, 1 ; ok\n  @'), "2:3: unexpected character '@'");
  t.equal(oneError('5: nop'), '1:1: expected an instruction, a directive or a label');
  t.equal(oneError('.frob 1'), "1:1: unknown directive '.frob'");
});

t.test('listing', async (t) => {
  const { listing } = assemble('start: mov eax, 1 ; one\n\n.data\nmsg: .asciz "hi"\n.bss\n.space 8', { file: 'l.s' });
  t.strictSame(listing.map((l) => [l.line, l.address, l.section, l.size, [...l.bytes]]), [
    [1, 0x100000, 'text', 8, [2, 0, 0, 0, 1, 0, 0, 0]],
    [4, 0x101000, 'data', 3, [0x68, 0x69, 0]],
    [6, 0x102000, 'bss', 8, []],
  ]);
  t.equal(listing[0]!.source, 'start: mov eax, 1 ; one');
});

t.test('assembleRaw', async (t) => {
  t.strictSame([...assembleRaw('')], []);
  t.strictSame(texts(assembleRaw('jmp 0x2000', 0x1000), 0x1000), ['jmp 0x2000']);
  t.throws(() => assembleRaw('.data\n.byte 1'), AsmError);
});

const VOCAB = [
  'mov', 'eax', 'ebx', 'cr0', 'cr9', '[', ']', ',', ':', '+', '-', '*', '/', '%', '<<', '>>', '(', ')', '$', '~', '!',
  '0', '1', '4', '0x', '0xffffffff', "'a'", '"s"', '"\\x"', 'x', '.x', 'x.y', '.equ', '=', '.byte', '.word', '.dword',
  '.ascii', '.asciz', '.space', '.align', '.org', '.text', '.data', '.bss', '.section', '.global', '.include',
  '.macro', '.endm', '.func', '.endfunc', '\\@', '\\x', 'jmp', 'int', 'shl', 'outb', 'push', ';', '//', '\n', '\t', ' ',
];

t.test('fuzz: nothing but AsmError escapes, and never an internal error', async (t) => {
  const check = (src: string): boolean => {
    try {
      assemble(src, { readFile: () => src });
      return true;
    } catch (e) {
      if (!(e instanceof AsmError)) throw e;
      const internal = e.diagnostics.find((d) => d.message.startsWith('internal'));
      if (internal) throw new Error(internal.message);
      return e.diagnostics.every((d) => d.line >= 0 && d.col >= 0 && typeof d.message === 'string');
    }
  };
  fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: 3000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), check), { numRuns: 1000 });
  fc.assert(fc.property(fc.array(fc.constantFrom(...VOCAB), { maxLength: 60 }).map((a) => a.join(' ')), check), { numRuns: 5000 });
  t.ok(check('(' .repeat(100000)), 'deep nesting');
  t.ok(check(`.dword ${'1+'.repeat(50000)}1`), 'long expression');
  t.ok(check(`.dword ${'-'.repeat(50000)}1`), 'long unary chain');
  t.ok(check('.macro a\na\na\n.endm\na'), 'exponential macro');
  t.ok(check('.space 0x7fffffff'), 'huge .space');
  t.ok(check('.bss\n.space 0x7fffffff\n.space 0x7fffffff\n.space 0x7fffffff'), 'huge .bss');
});
