/** Statement and function code generation. */
import type { FuncDef, Stmt } from './ast.js';
import { Emitter, imm, InternalError, POOL } from './emitter.js';
import { branch, gen, genAddr, genVoid, isSimple } from './genexpr.js';
import { genInit } from './genassign.js';
import { is64, sizeOf } from './types.js';
import { fail } from './errors.js';

interface Ctx {
  g: Emitter;
  fn: FuncDef;
  breaks: string[];
  continues: string[];
}

export function genFunction(fn: FuncDef, prefix: string, helpers: Set<string>, data: string[]): string[] {
  const g = new Emitter(fn.asm, prefix, fn.frameSize, helpers, data);
  g.loc = fn.loc;
  const ctx: Ctx = { g, fn, breaks: [], continues: [] };
  try {
    genStmt(ctx, fn.body);
  } catch (e) {
    // Report a code generator bug at the statement or expression being compiled.
    if (e instanceof InternalError) fail(g.loc, `internal compiler error: ${e.message}`);
    throw e;
  }
  // C99 5.1.2.2.3: reaching the closing brace of main returns 0.
  if (fn.name === 'main' && fn.ty.ret.k === 'int') g.emit('mov eax, 0');
  const saved = POOL.filter((r) => g.calleeSaved.has(r) && r !== 'ecx');
  const frame = Math.ceil(g.frame / 4) * 4;
  const head = [`${fn.asm}:`, '        push ebp', '        mov ebp, esp'];
  if (frame) head.push(`        sub esp, ${frame}`);
  for (const r of saved) head.push(`        push ${r}`);
  const tail = ['.Lret:'];
  if (saved.length) {
    tail.push(`        lea esp, [ebp - ${frame + 4 * saved.length}]`);
    for (const r of [...saved].reverse()) tail.push(`        pop ${r}`);
  }
  tail.push('        mov esp, ebp', '        pop ebp', '        ret');
  const out: string[] = [];
  if (!fn.isStatic) out.push(`.global ${fn.asm}`);
  return [...out, ...head, ...peephole([...g.out, ...tail])];
}

/** Drops a jump to the label that immediately follows it (loop and return plumbing). */
function peephole(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Most lines are not jumps: a substring test spares them the regular expression.
    const m = lines[i]!.includes('jmp .') ? /^\s+jmp (\.[\w]+)$/.exec(lines[i]!) : null;
    if (m && lines[i + 1] === `${m[1]}:`) continue;
    out.push(lines[i]!);
  }
  return out;
}

function checkClean(g: Emitter): void {
  if (g.freeCount() !== POOL.length) throw new InternalError('temporary registers leaked across a statement');
}

function genStmt(c: Ctx, s: Stmt): void {
  const g = c.g;
  g.loc = s.loc;
  switch (s.s) {
    case 'nop': return;
    case 'expr': genVoid(g, s.e); break;
    case 'block': for (const x of s.body) genStmt(c, x); return;
    case 'init': genInit(g, { base: 'ebp', off: s.v.off }, s.v.ty, s.entries, s.zero); break;
    case 'if': {
      const f = g.newLabel();
      branch(g, s.c, f, false);
      genStmt(c, s.t);
      if (s.f) {
        const end = g.newLabel();
        g.emit(`jmp ${end}`);
        g.label(f);
        genStmt(c, s.f);
        g.label(end);
      } else {
        g.label(f);
      }
      return;
    }
    case 'while':
    case 'do': {
      const top = g.newLabel(), test = g.newLabel(), end = g.newLabel();
      // Both are a body then a bottom test; `while` enters at the test.
      if (s.s === 'while') g.emit(`jmp ${test}`);
      g.label(top);
      loop(c, s.body, end, test);
      g.label(test);
      branch(g, s.c, top, true);
      g.label(end);
      return;
    }
    case 'for': {
      if (s.init) genStmt(c, s.init);
      const top = g.newLabel(), next = g.newLabel(), test = g.newLabel(), end = g.newLabel();
      g.emit(`jmp ${test}`);
      g.label(top);
      loop(c, s.body, end, next);
      g.label(next);
      if (s.step) genVoid(g, s.step);
      g.label(test);
      if (s.c) branch(g, s.c, top, true);
      else g.emit(`jmp ${top}`);
      g.label(end);
      return;
    }
    case 'switch': genSwitch(c, s); return;
    case 'label':
      g.label(s.label);
      genStmt(c, s.body);
      return;
    case 'break': g.emit(`jmp ${c.breaks[c.breaks.length - 1]!}`); return;
    case 'continue': g.emit(`jmp ${c.continues[c.continues.length - 1]!}`); return;
    case 'goto': g.emit(`jmp ${s.label}`); return;
    case 'return': genReturn(c, s.e); return;
  }
  checkClean(g);
}

function loop(c: Ctx, body: Stmt, brk: string, cont: string): void {
  c.breaks.push(brk);
  c.continues.push(cont);
  genStmt(c, body);
  c.breaks.pop();
  c.continues.pop();
}

function genReturn(c: Ctx, e: Extract<Stmt, { s: 'return' }>['e']): void {
  const g = c.g;
  if (e) {
    if (c.fn.ty.ret.k === 'void') {
      genVoid(g, e);
    } else if (c.fn.ty.ret.k === 'struct') {
      const src = gen(g, e)!.lo;
      g.emit(`mov edx, [ebp + ${c.fn.retPtrOff}]`);
      g.copy({ base: 'edx', off: 0 }, { base: src, off: 0 }, sizeOf(c.fn.ty.ret));
      g.release(src);
      g.emit(`mov eax, [ebp + ${c.fn.retPtrOff}]`);
    } else if (isSimple(e) && e.ty.k !== 'struct' && sizeOf(e.ty) <= 4) {
      g.loadInto('eax', genAddr(g, e), e.ty);
    } else {
      const v = gen(g, e)!;
      g.emit(`mov eax, ${v.lo}`);
      if (v.hi) g.emit(`mov edx, ${v.hi}`);
      g.releaseVal(v);
    }
  }
  g.emit('jmp .Lret');
  checkClean(g);
}

function genSwitch(c: Ctx, s: Extract<Stmt, { s: 'switch' }>): void {
  const g = c.g;
  const end = g.newLabel();
  const dflt = s.info.defaultLabel ?? end;
  const v = gen(g, s.e)!;
  const cases = [...s.info.cases].sort((x, y) => (x.val < y.val ? -1 : x.val > y.val ? 1 : 0));
  if (is64(s.e.ty)) {
    for (const k of s.info.cases) {
      const skip = g.newLabel();
      g.emit(`cmp ${v.lo}, ${imm(k.val)}`);
      g.emit(`jne ${skip}`);
      g.emit(`cmp ${v.hi}, ${imm(k.val >> 32n)}`);
      g.emit(`je ${k.label}`);
      g.label(skip);
    }
  } else if (cases.length >= 4 && Number(cases[cases.length - 1]!.val - cases[0]!.val) < cases.length * 3) {
    // Dense: a jump table indexed by value - min (unsigned compare also catches values below min).
    const min = cases[0]!.val;
    const range = Number(cases[cases.length - 1]!.val - min);
    const table = `${g.prefix}T${g.data.length}_${g.asm.replace(/[^A-Za-z0-9_]/g, '_')}`;
    if (min !== 0n) g.emit(`sub ${v.lo}, ${imm(min)}`);
    g.emit(`cmp ${v.lo}, ${range}`);
    g.emit(`ja ${dflt}`);
    g.emit(`jmp [${table} + ${v.lo}*4]`);
    const byVal = new Map(cases.map((k) => [k.val - min, k.label]));
    const q = (l: string): string => `${g.asm}${l}`;
    g.data.push('.align 4', `${table}:`);
    for (let i = 0; i <= range; i++) g.data.push(`        .dword ${q(byVal.get(BigInt(i)) ?? dflt)}`);
  } else {
    for (const k of cases) {
      g.emit(`cmp ${v.lo}, ${imm(k.val)}`);
      g.emit(`je ${k.label}`);
    }
  }
  g.releaseVal(v);
  g.emit(`jmp ${dflt}`);
  c.breaks.push(end);
  genStmt(c, s.body);
  c.breaks.pop();
  g.label(end);
}
