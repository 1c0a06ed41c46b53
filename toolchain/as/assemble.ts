/**
 * The mx86 assembler's entry points. Source goes through three stages: parsing (includes,
 * macros, instruction forms), pass 1 (addresses) and pass 2 (bytes); see docs/assembler.md.
 * The helpers of the passes are exported for the linker's pre-assembled objects
 * (toolchain/ld/fragment.ts), which must lay out and finish an image exactly as this does.
 */
import { readHostText } from '../../vmm/host-file.js';
import { SEG_R, SEG_W, SEG_X, type Image, type ImageSymbol, type Segment } from '../image/format.js';
import { hex } from '../../vmm/isa/disasm.js';
import { AsmError, Diagnostics } from './errors.js';
import { emit, type ListingLine } from './emit.js';
import { layout, type Bases, type LayoutResult } from './layout.js';
import { Parser, type Section } from './parser.js';
import type { Label } from './symbols.js';

export { AsmError, formatDiagnostic, type Diagnostic } from './errors.js';
export type { ListingLine } from './emit.js';

export interface AssembleOptions {
  /** Name used in diagnostics and as the directory for relative includes. */
  file?: string;
  includeDirs?: string[];
  readFile?: (path: string) => string;
  textBase?: number;
  dataBase?: number;
  bssBase?: number;
  /** Entry symbol; defaults to `_start`, else the start of .text. */
  entry?: string;
}

export interface AssembleResult {
  image: Image;
  listing: ListingLine[];
}

export const DEFAULT_TEXT_BASE = 0x0010_0000;
const PAGE = 4096;
/** The data base depends on the text size and so on; a few rounds always settle real programs. */
export const MAX_LAYOUT_ROUNDS = 6;

export const SECTIONS: readonly Section[] = ['text', 'data', 'bss'];
export const FLAGS: Record<Section, number> = { text: SEG_R | SEG_X, data: SEG_R | SEG_W, bss: SEG_R | SEG_W };

/** Throws AsmError, whatever the input; never anything else. */
export function assemble(source: string, opts: AssembleOptions = {}): AssembleResult {
  const file = opts.file ?? '<input>';
  // The collector in use, so that the error budget running out still yields what was found.
  const current = { diags: new Diagnostics() };
  try {
    return run(source, file, opts, current);
  } catch (e) {
    if (e instanceof AsmError) throw e;
    const diags = current.diags;
    if (Diagnostics.isTooMany(e)) {
      throw new AsmError([...diags.list, { file, line: 0, col: 0, source: '', message: 'too many errors; stopping here' }]);
    }
    // A bug in the assembler must still reach the user as a diagnostic, not a stack trace.
    const msg = e instanceof Error ? e.message : String(e);
    throw new AsmError([...diags.list, { file, line: 0, col: 0, source: '', message: `internal assembler error: ${msg}` }]);
  }
}

function run(source: string, file: string, opts: AssembleOptions, current: { diags: Diagnostics }): AssembleResult {
  const parseDiags = current.diags;
  checkOptions(opts, file, parseDiags);
  if (typeof source !== 'string') parseDiags.global(file, 'source is not a string');
  if (parseDiags.count) throw new AsmError(parseDiags.list);

  const parser = new Parser(parseDiags, {
    includeDirs: opts.includeDirs ?? [],
    readFile: opts.readFile ?? ((p) => readHostText(p)),
  });
  parser.file(file, source);
  const stmts = parser.stmts;
  const names = new Set(stmts.flatMap((s) => (s.k === 'label' || s.k === 'equ' ? [s.name] : [])));

  let bases = initialBases(opts);
  let lay: LayoutResult | undefined;
  let diags = parseDiags;
  for (let round = 0; round < MAX_LAYOUT_ROUNDS; round++) {
    diags = new Diagnostics(parseDiags);
    current.diags = diags;
    lay = layout(stmts, bases, diags, names);
    const next = nextBases(opts, bases, lay.sizes);
    if (SECTIONS.every((s) => next[s] === bases[s])) break;
    if (round === MAX_LAYOUT_ROUNDS - 1) diags.global(file, 'section addresses do not settle (does a .space in .text depend on a .data label?)');
    bases = next;
  }
  checkLayout(bases, lay!.sizes, file, diags);
  const out = emit(stmts, lay!, bases, diags);
  const entry = entryPoint(opts, lay!, bases, file, diags);
  if (diags.count) throw new AsmError(diags.list);

  return { image: finishImage(lay!, bases, out, entry), listing: out.listing };
}

/** The image from a finished layout and the bytes of .text and .data. */
export function finishImage(lay: LayoutResult, bases: Bases, out: { text: Uint8Array; data: Uint8Array }, entry: number): Image {
  const segments: Segment[] = [];
  for (const sec of SECTIONS) {
    const size = lay.sizes[sec];
    if (size === 0) continue;
    const data = sec === 'bss' ? new Uint8Array(0) : out[sec];
    segments.push({ name: `.${sec}`, vaddr: bases[sec], paddr: bases[sec], data, memSize: size, flags: FLAGS[sec] });
  }
  return { entry, segments, symbols: imageSymbols(lay, bases) };
}

export function checkOptions(opts: AssembleOptions, file: string, diags: Diagnostics): void {
  for (const key of ['textBase', 'dataBase', 'bssBase'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      diags.global(file, `${key} ${String(v)} is not a 32-bit unsigned integer`);
    }
  }
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

export function initialBases(opts: AssembleOptions): Bases {
  const text = opts.textBase ?? DEFAULT_TEXT_BASE;
  const data = opts.dataBase ?? alignUp(text, PAGE);
  return { text, data, bss: opts.bssBase ?? data };
}

export function nextBases(opts: AssembleOptions, bases: Bases, sizes: Record<Section, number>): Bases {
  const data = opts.dataBase ?? alignUp(bases.text + sizes.text, PAGE);
  return { text: bases.text, data, bss: opts.bssBase ?? alignUp(data + sizes.data, PAGE) };
}

export function checkLayout(bases: Bases, sizes: Record<Section, number>, file: string, diags: Diagnostics): void {
  const live = SECTIONS.filter((s) => sizes[s] > 0);
  for (const s of live) {
    if (bases[s] + sizes[s] > 2 ** 32) diags.global(file, `section .${s} at ${hex(bases[s])} runs past the end of the address space`);
  }
  live.forEach((a, i) => live.slice(i + 1).forEach((b) => {
    if (bases[a] < bases[b] + sizes[b] && bases[b] < bases[a] + sizes[a]) {
      diags.global(file, `section .${b} (${range(bases[b], sizes[b])}) overlaps section .${a} (${range(bases[a], sizes[a])})`);
    }
  }));
}

const range = (base: number, size: number): string => `${hex(base)}..${hex(base + size - 1)}`;

export function entryPoint(opts: AssembleOptions, lay: LayoutResult, bases: Bases, file: string, diags: Diagnostics): number {
  const name = opts.entry ?? (lay.symbols.isDefined('_start') ? '_start' : undefined);
  if (name === undefined) return bases.text;
  if (!lay.symbols.isDefined(name)) {
    diags.global(file, `entry symbol '${name}' is not defined`);
    return 0;
  }
  try {
    return lay.symbols.value(name, 0);
  } catch {
    return 0; // the constant's own error is reported where it is defined
  }
}

/**
 * A label's size runs to the next label at a higher address that could start another object:
 * for a global label the next global one (its local labels lie inside it), for a local label
 * the next of either kind; the last runs to the end of its section.
 */
export function imageSymbols(lay: LayoutResult, bases: Bases): ImageSymbol[] {
  const labels = [...lay.symbols.labels].sort((a, b) => a.value - b.value || a.order - b.order);
  const sizes = new Map<Label, number>();
  for (const sec of SECTIONS) {
    const mine = labels.filter((l) => l.sec === sec);
    let nextAny = bases[sec] + lay.sizes[sec];
    let nextGlobal = nextAny;
    for (let j = mine.length; j > 0;) {
      // Labels at one address form a group: none of them ends at another.
      let i = j - 1;
      while (i > 0 && mine[i - 1]!.value === mine[j - 1]!.value) i--;
      const group = mine.slice(i, j);
      for (const l of group) sizes.set(l, Math.max(0, (l.local ? nextAny : nextGlobal) - l.value));
      nextAny = group[0]!.value;
      if (group.some((l) => !l.local)) nextGlobal = nextAny;
      j = i;
    }
  }
  return labels.map((l): ImageSymbol => ({
    name: l.name,
    value: l.value,
    size: l.size ?? sizes.get(l)!,
    kind: l.local ? 'label' : l.func || l.sec === 'text' ? 'func' : 'object',
  }));
}

/** Assembles text-only source at `base` and returns the bytes of .text (for tests and tools). */
export function assembleRaw(source: string, base = 0): Uint8Array {
  const { image } = assemble(source, { textBase: base });
  const other = image.segments.find((s) => s.name !== '.text');
  if (other) {
    throw new AsmError([{ file: '<input>', line: 0, col: 0, source: '', message: `assembleRaw takes text-only source, but ${other.name} is not empty` }]);
  }
  return image.segments.find((s) => s.name === '.text')?.data ?? new Uint8Array(0);
}
