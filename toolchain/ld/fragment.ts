/**
 * Pre-assembled objects, so that linking does not parse and encode the libc again for every
 * program. Linking is assembling the concatenation of the objects (docs/cc-toolchain.md); this
 * module gets the same image faster. An object is parsed once into a Fragment: its statements
 * laid out from offset 0 in each section, and the bytes of every statement whose bytes cannot
 * depend on where the object lands (no symbol, no `$`; or a branch to a label of the same
 * object and section, whose rel32 is the same wherever both land). A link then places each
 * fragment's sections, defines its labels at start + offset, copies its bytes and encodes only
 * the remaining statements (calls out of the object, addresses of data) with the assembler's
 * own `emitStmt`, in the assembler's own symbol table.
 *
 * It only handles what it can prove gives the assembler's bytes: an object that defines a
 * macro (a later object could use it), names a local label before any global one (its scope
 * would be the previous object's), includes a file, uses `.org`, `.align` above 4 or a
 * `.space` that is not a constant, or has any error, has no fragment; and a link meets any
 * problem at all (a duplicate, an undefined symbol, a layout that does not settle) returns
 * undefined. In all those cases the linker assembles the concatenation as before, which also
 * produces the diagnostics. tests/cc/link-fragments.test.ts compares both ways byte for byte.
 */
import { normalize } from 'node:path';
import {
  checkLayout, checkOptions, entryPoint, finishImage, initialBases, MAX_LAYOUT_ROUNDS, nextBases, SECTIONS,
  type AssembleOptions,
} from '../as/assemble.js';
import { emitStmt } from '../as/emit.js';
import { Diagnostics } from '../as/errors.js';
import { evaluate, symbolsOf, type Env, type Expr } from '../as/expr.js';
import { MAX_FILE_SECTION, type Bases, type LayoutResult } from '../as/layout.js';
import { resolveOperands } from '../as/operands.js';
import { Parser, type Section, type Stmt } from '../as/parser.js';
import { Symbols } from '../as/symbols.js';
import { encode, lengthOf, wordsToBytes } from '../../vmm/isa/encoding.js';
import type { Image } from '../image/format.js';

type Sized = Record<Section, number>;

interface FragLabel { name: string; sec: Section; off: number; local: boolean; stmt: Stmt; func?: boolean; size?: number }

export interface Fragment {
  sizes: Sized;
  bytes: { text: Uint8Array; data: Uint8Array };
  labels: FragLabel[];
  equs: { stmt: Extract<Stmt, { k: 'equ' }>; sec: Section; off: number }[];
  globals: string[];
  /** Statements encoded at link time, with their offsets. */
  open: { stmt: Stmt; sec: Section; off: number; size: number }[];
}

/** Thrown by the probing environment: the statement depends on where it is linked. */
const OPEN = new Error('depends on placement');

const strictEnv: Env = {
  get here(): number { throw OPEN; },
  symbol(): number { throw OPEN; },
};

const noSymbols = (e: Expr | null): boolean => e === null || (symbolsOf(e).length === 0 && !hasHere(e));
function hasHere(e: Expr): boolean {
  return e.k === 'here' || (e.k === 'un' && hasHere(e.e)) || (e.k === 'bin' && (hasHere(e.a) || hasHere(e.b)));
}

/** `label`, `label + c`, `c + label` or `label - c` with c constant: moves with the label. */
function movesWithLabel(e: Expr): boolean {
  if (e.k === 'sym') return true;
  if (e.k !== 'bin') return false;
  if (e.op === '+') return (e.a.k === 'sym' && noSymbols(e.b)) || (e.b.k === 'sym' && noSymbols(e.a));
  return e.op === '-' && e.a.k === 'sym' && noSymbols(e.b);
}

function constant(e: Expr): number | undefined {
  try {
    return evaluate(e, strictEnv);
  } catch {
    return undefined;
  }
}

/** The object's fragment, or undefined when linking it must go through the assembler. */
export function makeFragment(name: string, text: string): Fragment | undefined {
  if (/^[ \t]*\.macro\b/im.test(text)) return undefined;
  const diags = new Diagnostics();
  const parser = new Parser(diags, { includeDirs: [], readFile: () => { throw new Error('no includes in a fragment'); } });
  try {
    parser.file(normalize(name), text);
  } catch {
    return undefined;
  }
  if (diags.count) return undefined;
  const stmts = parser.stmts;
  const sizes: Sized = { text: 0, data: 0, bss: 0 };
  const placed: ({ sec: Section; off: number; size: number } | undefined)[] = new Array(stmts.length);
  const labels: FragLabel[] = [];
  const byName = new Map<string, FragLabel>();
  const equs: Fragment['equs'] = [];
  const globals: string[] = [];
  let sec: Section = 'text';
  let openFunc: { label: string; start: number } | null = null;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    const off = sizes[sec];
    let size = 0;
    switch (s.k) {
      case 'label': {
        if (s.name.startsWith('.')) return undefined; // a local label outside any global one
        const l: FragLabel = { name: s.name, sec, off, local: s.local, stmt: s };
        labels.push(l);
        byName.set(s.name, l);
        continue;
      }
      case 'equ':
        if (s.name.startsWith('.') || !noSymbolsStartingWithDot(s.e)) return undefined;
        equs.push({ stmt: s, sec, off });
        continue;
      case 'global':
        if (s.name.startsWith('.')) return undefined;
        globals.push(s.name);
        continue;
      case 'section': sec = s.sec; continue;
      case 'func':
        if (openFunc) return undefined;
        openFunc = { label: s.name, start: off };
        continue;
      case 'endfunc': {
        if (!openFunc) return undefined;
        const l = byName.get(openFunc.label);
        if (!l) return undefined;
        l.func = true;
        l.size = Math.max(0, off - openFunc.start);
        openFunc = null;
        continue;
      }
      case 'org': return undefined;
      case 'insn':
        if (sec === 'bss' || off % 4 !== 0) return undefined;
        if (!s.ops.every((o) => o.s !== 'mem' ? o.s !== 'expr' || noSymbolsStartingWithDot(o.e) : noSymbolsStartingWithDot(o.disp) && noSymbolsStartingWithDot(o.scale))) return undefined;
        size = lengthOf(s.def);
        break;
      case 'data':
        if (sec === 'bss') return undefined;
        if (!s.items.every((it) => it instanceof Uint8Array || noSymbolsStartingWithDot(it))) return undefined;
        size = s.items.reduce((n, it) => n + (it instanceof Uint8Array ? it.length : s.size), 0);
        break;
      case 'space': {
        const n = constant(s.count);
        if (n === undefined || n >= 0x80000000) return undefined;
        size = n;
        break;
      }
      case 'align': {
        const n = constant(s.n);
        // Padding to 1, 2 or 4 is the same at any 4-aligned start; a larger one is not.
        if (n === undefined || (n !== 1 && n !== 2 && n !== 4)) return undefined;
        size = (n - (off % n)) % n;
        break;
      }
    }
    if (s.k === 'space' || s.k === 'align') {
      if (s.fill && constant(s.fill) === undefined) return undefined;
    }
    placed[i] = { sec, off, size };
    sizes[sec] = off + size;
    if (sizes.text > MAX_FILE_SECTION || sizes.data > MAX_FILE_SECTION) return undefined;
  }
  if (openFunc) return undefined;

  const bytes = { text: new Uint8Array(sizes.text), data: new Uint8Array(sizes.data) };
  const open: Fragment['open'] = [];
  for (let i = 0; i < stmts.length; i++) {
    const p = placed[i];
    if (!p) continue;
    const s = stmts[i]!;
    const out = p.sec === 'bss' ? null : bytes[p.sec].subarray(p.off, p.off + p.size);
    if (!closedBytes(s, p, byName, out)) open.push({ stmt: s, sec: p.sec, off: p.off, size: p.size });
  }
  return { sizes, bytes, labels, equs, globals, open };
}

/** A name starting with '.' here would be a local label scoped by the previous object. */
function noSymbolsStartingWithDot(e: Expr | null): boolean {
  return e === null || symbolsOf(e).every((n) => !n.startsWith('.'));
}

/** Writes the statement's bytes when they cannot depend on placement; false when they might. */
function closedBytes(s: Stmt, p: { sec: Section; off: number; size: number }, labels: Map<string, FragLabel>, out: Uint8Array | null): boolean {
  try {
    if (s.k === 'insn') {
      const rel = s.def.operands.map((k) => k === 'rel');
      if (rel.some((r) => r)) {
        // A branch within the object and section: rel32 is target - next, both moving together.
        const ok = s.ops.every((o, k) => (rel[k] ? o.s === 'expr' && movesWithLabel(o.e) : o.s !== 'expr' ? o.s !== 'mem' || (noSymbols(o.disp) && noSymbols(o.scale)) : noSymbols(o.e)));
        if (!ok) return false;
        const env: Env = {
          get here(): number { throw OPEN; },
          symbol: (name) => {
            const l = labels.get(name);
            if (!l || l.sec !== p.sec) throw OPEN;
            return l.off;
          },
        };
        out!.set(wordsToBytes(encode({ def: s.def, operands: resolveOperands(s.def, s.ops, env, p.off + p.size) })));
        return true;
      }
    }
    emitStmt(s, { sec: p.sec, addr: p.off, size: p.size }, strictEnv, out);
    return true;
  } catch {
    // OPEN, or an error the assembler will report at link time: encode it then.
    if (out) out.fill(0);
    return false;
  }
}

/**
 * The image of the fragments concatenated (each section of each one 4-aligned, as the linker's
 * `.align 4` before each object does), or undefined when anything at all is wrong: the caller
 * then assembles the concatenation, which reports the problem.
 */
export function linkFragments(frags: readonly Fragment[], opts: AssembleOptions, file = '<link>'): Image | undefined {
  try {
    return link(frags, opts, file);
  } catch {
    return undefined;
  }
}

function place(frags: readonly Fragment[], bases: Bases): { starts: Bases[]; sizes: Sized } {
  const at: Sized = { ...bases };
  const starts = frags.map((f) => {
    const s = {} as Bases;
    for (const sec of SECTIONS) {
      s[sec] = at[sec] + ((4 - (at[sec] % 4)) % 4);
      at[sec] = s[sec] + f.sizes[sec];
    }
    return s;
  });
  return { starts, sizes: { text: at.text - bases.text, data: at.data - bases.data, bss: at.bss - bases.bss } };
}

function link(frags: readonly Fragment[], opts: AssembleOptions, file: string): Image | undefined {
  const diags = new Diagnostics();
  checkOptions(opts, file, diags);
  if (diags.count) return undefined;
  let bases = initialBases(opts);
  let placed = place(frags, bases);
  for (let round = 0; ; round++) {
    const next = nextBases(opts, bases, placed.sizes);
    if (SECTIONS.every((s) => next[s] === bases[s])) break;
    if (round === MAX_LAYOUT_ROUNDS - 1) return undefined;
    bases = next;
    placed = place(frags, bases);
  }
  const { starts, sizes } = placed;
  for (const sec of SECTIONS) {
    if (bases[sec] + sizes[sec] >= 2 ** 32 || (sec !== 'bss' && sizes[sec] > MAX_FILE_SECTION)) return undefined;
  }
  const symbols = new Symbols(diags, new Set(), true);
  frags.forEach((f, i) => {
    const st = starts[i]!;
    for (const l of f.labels) {
      symbols.defineLabel({ name: l.name, value: st[l.sec] + l.off, sec: l.sec, local: l.local, stmt: l.stmt, func: l.func, size: l.size });
    }
    for (const e of f.equs) symbols.defineEqu(e.stmt, (st[e.sec] + e.off) >>> 0);
  });
  const buf = { text: new Uint8Array(sizes.text), data: new Uint8Array(sizes.data) };
  frags.forEach((f, i) => {
    const st = starts[i]!;
    buf.text.set(f.bytes.text, st.text - bases.text);
    buf.data.set(f.bytes.data, st.data - bases.data);
  });
  frags.forEach((f, i) => {
    const st = starts[i]!;
    for (const o of f.open) {
      const addr = st[o.sec] + o.off;
      const out = o.sec === 'bss' ? null : buf[o.sec].subarray(addr - bases[o.sec], addr - bases[o.sec] + o.size);
      emitStmt(o.stmt, { sec: o.sec, addr, size: o.size }, symbols.env(addr), out);
    }
    for (const e of f.equs) symbols.checkEqu(e.stmt.name);
  });
  if (frags.some((f) => f.globals.some((g) => !symbols.isDefined(g)))) return undefined;
  const lay: LayoutResult = { symbols, placed: [], sizes, globals: [] };
  checkLayout(bases, sizes, file, diags);
  const entry = entryPoint(opts, lay, bases, file, diags);
  if (diags.count) return undefined;
  return finishImage(lay, bases, buf, entry);
}
