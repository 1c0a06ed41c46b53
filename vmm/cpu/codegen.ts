/**
 * Generates the interpreter from the ISA table: one `case` per opcode, built from the entry's
 * `exec` snippet and the field layout of its operand kinds. Generating it (rather than writing a
 * switch by hand) keeps the table the single source of truth, and the same expansion will serve
 * the basic-block compiler.
 *
 * The generated function runs up to `budget` instructions and returns how many retired. It keeps
 * eip in a local and caches the host array and index of the current code page, so that a fetch
 * is one typed-array load. Anything unusual (a fault, an MMIO exit) is thrown by a helper and
 * caught here once, outside the loop.
 */
import { ISA, type InsnDef } from '../isa/table.js';
import { lengthOf, reservedBits } from '../isa/encoding.js';
import { lowering } from './jit-lower.js';

const MEM_EA =
  '((((w & 0x8000) !== 0 ? R[(w >>> 12) & 7] : 0) + ((w & 0x80000) !== 0 ? R[(w >>> 16) & 7] << ((w >>> 20) & 3) : 0) + cmem[p + 1]) >>> 0)';

/**
 * Expands one table entry into the body of its `case`. With `jit`, the case also serves the
 * region compiler: stores check the code-line map, and every branch counts its target in the
 * hotness table and stops the interpreter there once it is hot, so that the vCPU can enter (or
 * compile) a region at that address (docs/jit.md).
 */
export function expandCase(d: InsnDef, jit = false): string {
  const len = lengthOf(d);
  const hasMem = d.operands.includes('m');
  const immWord = hasMem ? 'cmem[p + 2]' : 'cmem[p + 1]';
  let regs = 0;
  let a = '', b = '', imm = '';
  for (const k of d.operands) {
    if (k === 'r') { if (regs++ === 0) a = 'R[(w >>> 8) & 7]'; else b = 'R[(w >>> 12) & 7]'; }
    if (k === 'i' || k === 'rel') imm = immWord;
    if (k === 'u5') imm = '((w >>> 24) & 31)';
    if (k === 'u8') imm = '(w >>> 24)';
    if (k === 'p16') imm = '(w >>> 16)';
  }
  const next = `((eip + ${len}) | 0)`;
  let body = d.exec
    .replaceAll('$A', a)
    .replaceAll('$B', b)
    .replaceAll('$a', '((w >>> 8) & 7)')
    .replaceAll('$I', imm)
    .replaceAll('$M', 'ea')
    .replaceAll('$T', `((eip + ${len} + ${immWord}) | 0)`)
    .replaceAll('$N', next)
    .replaceAll('$C', '((w >>> 12) & 7)')
    .replaceAll('FLUSH', 'cpage = 1')
    .replaceAll('STOP', 'budget = 0');
  body = inlineRamAccess(body, jit);
  body = expandMacro(body, 'JUMP', (x) => `{ const jt = ${x}; if ((jt & 3) !== 0) c.gp(0); eip = jt | 0; }`);
  body = expandMacro(body, 'EXIT', (x) => `{ c.exit = ${x}; c.exitEip = eip >>> 0; eip = ${next}; n++; break loop; }`);
  const lines = [`case ${d.op}: {`];
  const rsv = reservedBits(d.operands);
  if (rsv !== 0) lines.push(`  if ((w & ${rsv}) !== 0) c.ud();`);
  if (d.privileged) lines.push('  if (c.cpl !== 0) c.gp(0);');
  if (hasMem) lines.push(`  const ea = ${MEM_EA};`);
  lines.push(`  ${body}`);
  if (!d.branch) lines.push(`  eip = ${next};`);
  // A hot stop is not a STOP: the vCPU goes on at once (cpu.ts step), so it must not hide one.
  // Also after an instruction only the interpreter runs (pushf, cli, in...): the code after it
  // starts a region of its own once hot, instead of being interpreted up to the next hot branch
  // target (irq_save's `pushf` made the kernel interpret 20 instructions per call).
  if (jit && (d.branch || lowering(d) === 'interpreted')) {
    lines.push(`  if (++HOT[(eip >>> 2) & ${HOT_MASK}] > HT && budget !== 0) { c.hotStop = true; budget = 0; }`);
  }
  lines.push('  break;', '}');
  return lines.join('\n');
}

/**
 * With paging off, an aligned access to RAM is one typed-array operation: do it inline and call
 * the vCPU's accessor only otherwise (paging, MMIO, ROM, unaligned). Semantics are unchanged.
 */
function inlineRamAccess(body: string, jit: boolean): string {
  const fast = (align: number, store = false): string =>
    `!c.paging && ${align > 1 ? `(ea & ${align - 1}) === 0 && ` : ''}ea < RS${store && jit ? ' && CM[ea >>> 7] === 0' : ''}`;
  return body
    .replaceAll('c.ld32(ea)', `(${fast(4)} ? M32[ea >>> 2] : c.ld32(ea))`)
    .replaceAll('c.ld16(ea)', `(${fast(2)} ? M16[ea >>> 1] : c.ld16(ea))`)
    .replaceAll('c.ld8(ea)', `(${fast(1)} ? M8[ea] : c.ld8(ea))`)
    .replace(/c\.st(32|16|8)\(ea, ([^;]*)\);/g, (_, bits: string, v: string) => {
      const [arr, shift] = bits === '32' ? ['M32', 2] : bits === '16' ? ['M16', 1] : ['M8', 0];
      return `if (${fast(Number(bits) / 8, true)}) ${arr}[ea${shift ? ` >>> ${shift}` : ''}] = ${v}; else c.st${bits}(ea, ${v});`;
    });
}

/** Replaces NAME(args) with f(args), matching parentheses. */
function expandMacro(src: string, name: string, f: (arg: string) => string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const j = src.indexOf(name + '(', i);
    if (j < 0) return out + src.slice(i);
    let depth = 0, k = j + name.length;
    for (; k < src.length; k++) {
      if (src[k] === '(') depth++;
      else if (src[k] === ')' && --depth === 0) break;
    }
    out += src.slice(i, j) + f(src.slice(j + name.length + 1, k));
    i = k + 1;
  }
}

/** Hotness table: one counter per hash of a branch target (eip >>> 2, low 16 bits). */
export const HOT_MASK = 0xffff;
/**
 * Branches to an address before it is compiled, by default (a vCPU's `Jit.threshold`). A region
 * costs about as much to compile as 200,000 interpreted instructions (docs/jit.md), so code must
 * be well used before it pays: with 50 (the issue's first guess) short-lived VMs (the paper's
 * sweep) spent more time compiling than they saved.
 */
export const HOT_THRESHOLD = 1000;

export function interpreterSource(table: readonly InsnDef[] = ISA, jit = false): string {
  return `
return function interpret(c, budget) {
  const R = c.regs, M32 = c.ram32, M16 = c.ram16, M8 = c.ram, RS = c.ramSize;
  const CM = c.codeMap, HOT = c.hot, HT = c.hotThreshold;
  // eip stays a signed 32-bit value inside the loop (so it never becomes a heap number, even
  // in the ROM above 2 GiB); the vCPU's own field is unsigned.
  let n = 0, eip = c.eip | 0;
  // cpage: virtual page whose instructions cmem[cbase + ...] holds; 1 never matches a page.
  // It survives across runs (an exit-heavy loop would otherwise translate on every entry); the
  // vCPU resets it whenever translations or the privilege level change.
  let cpage = c.cpage, cmem = c.fmem, cbase = c.fbase;
  try {
    loop: while (n < budget) {
      const off = eip & 4095;
      if ((eip & -4096) !== cpage || off > 4084) {
        c.eip = eip >>> 0;
        cpage = c.fetchSetup(eip >>> 0) ? eip & -4096 : 1;
        cmem = c.fmem; cbase = c.fbase;
      }
      const p = cbase + (off >> 2);
      const w = cmem[p];
      switch (w & 255) {
${table.map((d) => expandCase(d, jit)).join('\n')}
        default: c.ud();
      }
      n++;
    }
  } catch (e) {
    c.eip = eip >>> 0;
    c.cpage = cpage;
    c.caught = e;
    return n;
  }
  c.eip = eip >>> 0;
  c.cpage = cpage;
  return n;
};`;
}

export type Interpreter = (cpu: unknown, budget: number) => number;

const compiled: (Interpreter | undefined)[] = [undefined, undefined];

/** The interpreter; `jit` selects the variant that cooperates with the region compiler. */
export function interpreter(jit = false): Interpreter {
  const k = jit ? 1 : 0;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  compiled[k] ??= new Function(interpreterSource(ISA, jit))() as Interpreter;
  return compiled[k]!;
}
