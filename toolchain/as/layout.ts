/**
 * Pass 1: gives every statement its section and address, and every label its value. Layout
 * expressions (`.space`, `.align`, `.org`) are evaluated here, so they may only use symbols
 * defined above them.
 */
import { lengthOf } from '../../vmm/isa/encoding.js';
import { hex } from '../../vmm/isa/disasm.js';
import { Diagnostics, StmtError } from './errors.js';
import { evaluate, type Expr } from './expr.js';
import type { Section, Stmt } from './parser.js';
import { Symbols } from './symbols.js';

export type Bases = Record<Section, number>;

/** Where pass 1 put a statement; `size` is the bytes it occupies (padding included). */
export interface Placement {
  sec: Section;
  addr: number;
  size: number;
}

export interface LayoutResult {
  symbols: Symbols;
  placed: (Placement | undefined)[];
  sizes: Record<Section, number>;
  globals: Extract<Stmt, { k: 'global' }>[];
}

/** Text and data are held in memory byte for byte, so they get a bound that bss does not. */
export const MAX_FILE_SECTION = 64 * 1024 * 1024;
const TWO_32 = 2 ** 32;

export function layout(stmts: readonly Stmt[], bases: Bases, diags: Diagnostics, names: ReadonlySet<string>): LayoutResult {
  const symbols = new Symbols(diags, names);
  const sizes: Record<Section, number> = { text: 0, data: 0, bss: 0 };
  const placed: (Placement | undefined)[] = new Array(stmts.length);
  const globals: Extract<Stmt, { k: 'global' }>[] = [];
  let sec: Section = 'text';
  let openFunc: { label: string; stmt: Stmt; start: number } | null = null;

  const here = (): number => bases[sec] + sizes[sec];
  const layoutValue = (e: Expr): number => evaluate(e, symbols.env(here()));
  /** Claims `size` bytes at the current position, refusing to run past the section's limits. */
  const claim = (i: number, size: number, col: number): void => {
    const end = sizes[sec] + size;
    if (sec !== 'bss' && end > MAX_FILE_SECTION) {
      throw new StmtError(`section .${sec} would grow past ${MAX_FILE_SECTION / 1024 / 1024} MiB`, col);
    }
    if (bases[sec] + end > TWO_32) throw new StmtError(`section .${sec} would run past the end of the 32-bit address space`, col);
    placed[i] = { sec, addr: here(), size };
    sizes[sec] = end;
  };
  const noBss = (s: Stmt, what: string): void => {
    if (sec === 'bss') throw new StmtError(`${what} cannot go in .bss, which has no file bytes (only .space and .align)`, s.col);
  };

  stmts.forEach((s, i) => diags.guard(s.loc, () => {
    switch (s.k) {
      case 'label':
        if (here() >= TWO_32) throw new StmtError('label past the end of the 32-bit address space', s.col);
        symbols.defineLabel({ name: s.name, value: here(), sec, local: s.local, stmt: s });
        return;
      case 'equ':
        symbols.defineEqu(s, here() >>> 0);
        return;
      case 'insn':
        noBss(s, 'instructions');
        if (here() % 4 !== 0) {
          throw new StmtError(`instruction at ${hex(here())} is not 4-byte aligned (add '.align 4' before it)`, s.col);
        }
        return claim(i, lengthOf(s.def), s.col);
      case 'data':
        noBss(s, 'data');
        return claim(i, s.items.reduce((n, it) => n + (it instanceof Uint8Array ? it.length : s.size), 0), s.col);
      case 'space': {
        const n = layoutValue(s.count);
        if (n >= 0x80000000) throw new StmtError(`.space size ${hex(n)} is negative or far too large`, s.count.col);
        return claim(i, n, s.col);
      }
      case 'align': {
        const n = layoutValue(s.n);
        if (n === 0 || (n & (n - 1)) !== 0) throw new StmtError(`.align ${n} is not a power of two`, s.n.col);
        return claim(i, (n - (here() % n)) % n, s.col);
      }
      case 'org': {
        const a = layoutValue(s.addr);
        if (a < here()) {
          throw new StmtError(`.org ${hex(a)} is below the current address ${hex(here())} (.org cannot go backwards)`, s.addr.col);
        }
        return claim(i, a - here(), s.col);
      }
      case 'section':
        sec = s.sec;
        return;
      case 'global':
        globals.push(s);
        return;
      case 'func':
        if (openFunc) throw new StmtError(`'.func ${s.name}' inside '.func ${openFunc.label}' (missing '.endfunc'?)`, s.col);
        openFunc = { label: s.name, stmt: s, start: here() };
        return;
      case 'endfunc': {
        if (!openFunc) throw new StmtError("'.endfunc' without '.func'", s.col);
        const l = symbols.map.get(openFunc.label);
        if (l?.k === 'label') {
          l.func = true;
          l.size = Math.max(0, here() - openFunc.start);
        }
        openFunc = null;
        return;
      }
    }
  }));
  if (openFunc !== null) {
    const f: { label: string; stmt: Stmt } = openFunc;
    diags.add(f.stmt.loc, f.stmt.col, `'.func ${f.label}' has no '.endfunc'`);
  }
  return { symbols, placed, sizes, globals };
}
