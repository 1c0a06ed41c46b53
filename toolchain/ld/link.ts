/**
 * The linker: objects (compiled C and assembly) into one MXI image. Linking assembles the
 * concatenation of the objects, each through `.include` so that the assembler's diagnostics
 * name the object and line; before that, library members are chosen by the names the program
 * mentions, and a name defined by two objects is refused with both named.
 */
import { AsmError, assemble } from '../as/assemble.js';
import { normalize } from 'node:path';
import { MAX_SYMBOLS, type Image, type ImageSymbol } from '../image/format.js';
import { linkFragments, makeFragment, type Fragment } from './fragment.js';
import { displayName, scanSymbols, type ObjectFile, type ObjectSymbols } from './object.js';

export interface LinkOptions {
  textBase?: number;
  dataBase?: number;
  bssBase?: number;
  /** Entry symbol; default `_start`, else the start of .text. */
  entry?: string;
  /** Archives: a member is linked only when it defines a name the program mentions. */
  libraries?: readonly (readonly ObjectFile[])[];
  /**
   * Default true: link pre-assembled objects when that is proven to give the assembler's image
   * (fragment.ts). False always assembles the concatenation; the tests compare both ways.
   */
  preassembled?: boolean;
}

export interface LinkDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  sourceLine: string;
}

export class LinkError extends Error {
  readonly diagnostics: LinkDiagnostic[];
  constructor(diagnostics: LinkDiagnostic[]) {
    super(diagnostics.map(formatLinkDiagnostic).join('\n'));
    this.name = 'LinkError';
    this.diagnostics = diagnostics;
  }
}

export function formatLinkDiagnostic(d: LinkDiagnostic): string {
  if (d.line <= 0) return `${d.file}: error: ${d.message}`;
  const head = `${d.file}:${d.line}:${d.col}: error: ${d.message}`;
  if (d.sourceLine === '') return head;
  const pad = d.sourceLine.slice(0, Math.max(0, d.col - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n${d.sourceLine}\n${pad}^`;
}

export interface LinkResult {
  image: Image;
  /** The objects linked, in order (library members that were needed included). */
  objects: ObjectFile[];
}

const scanCache = new WeakMap<ObjectFile, ObjectSymbols>();

function symbolsOf(o: ObjectFile): ObjectSymbols {
  let s = scanCache.get(o);
  if (!s) { s = scanSymbols(o); scanCache.set(o, s); }
  return s;
}

const fragmentCache = new WeakMap<ObjectFile, { text: string; frag: Fragment | undefined }>();

/** The object pre-assembled (once per object and text), or undefined when it cannot be. */
function fragmentOf(o: ObjectFile): Fragment | undefined {
  const hit = fragmentCache.get(o);
  if (hit && hit.text === o.text) return hit.frag;
  const frag = makeFragment(o.name, o.text);
  fragmentCache.set(o, { text: o.text, frag });
  return frag;
}

/** Throws LinkError for any problem in the objects. */
export function link(objects: readonly ObjectFile[], opts: LinkOptions = {}): LinkResult {
  if (objects.length === 0) throw new LinkError([{ file: 'vamos ld', line: 0, col: 0, message: 'no objects to link', sourceLine: '' }]);
  const chosen = selectMembers(objects, opts.libraries ?? []);
  checkDuplicates(chosen);
  // Pre-assembled objects give the same image without assembling the libc again (fragment.ts);
  // anything they cannot prove, errors included, goes through the assembler below.
  const frags = opts.preassembled === false ? [] : chosen.map(fragmentOf);
  if (opts.preassembled !== false && frags.every((f) => f !== undefined)) {
    const image = linkFragments(frags as Fragment[], {
      textBase: opts.textBase, dataBase: opts.dataBase, bssBase: opts.bssBase, entry: opts.entry,
    });
    if (image) return { image: { ...image, symbols: imageSymbolsOf(image.symbols, chosen) }, objects: chosen };
  }
  const files = new Map<string, string>();
  const names = uniqueNames(chosen);
  let top = '';
  chosen.forEach((o, i) => {
    files.set(normalize(names[i]!), o.text);
    // Each object starts in .text on 4-byte boundaries, whatever the previous one left open.
    top += `.data\n.align 4\n.bss\n.align 4\n.text\n.align 4\n.include ${JSON.stringify(names[i])}\n`;
  });
  let image: Image;
  try {
    image = assemble(top, {
      file: '<link>',
      readFile: (p) => {
        const t = files.get(normalize(p));
        if (t === undefined) throw new Error(`no object '${p}'`);
        return t;
      },
      textBase: opts.textBase, dataBase: opts.dataBase, bssBase: opts.bssBase, entry: opts.entry,
    }).image;
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
    const byName = new Map(chosen.map((o, i) => [normalize(names[i]!), o]));
    throw new LinkError(e.diagnostics.map((d) => {
      const undef = /^undefined symbol '(.*)'$/.exec(d.message);
      const message = undef ? `undefined reference to '${displayName(undef[1]!)}'` : d.message;
      const o = byName.get(normalize(d.file));
      if (o?.unit && d.line > 0) {
        // A compiled unit's assembly lines mean little to its author; its function does.
        const fn = enclosingFunction(o.text, d.line);
        return { file: o.source ?? o.name, line: 0, col: 0, message: fn ? `${message} (in function '${displayName(fn)}')` : message, sourceLine: '' };
      }
      return { file: d.file === '<link>' ? 'vamos ld' : d.file, line: d.line, col: d.col, message, sourceLine: d.source };
    }));
  }
  image.symbols = imageSymbolsOf(image.symbols, chosen);
  return { image, objects: chosen };
}

/**
 * The image's symbol table: the objects' symbols under their C names, without the compiler's
 * internal labels (a compiled unit's local labels, `f.L12`: branch targets and case labels), which
 * would otherwise count against the image format's MAX_SYMBOLS (a function with 17,000 ifs). A
 * program that still has too many names the source with the most, and the limit.
 */
function imageSymbolsOf(symbols: readonly ImageSymbol[], objects: readonly ObjectFile[]): ImageSymbol[] {
  const compiled = new Set<string>();
  for (const o of objects) if (o.unit) for (const d of symbolsOf(o).defines) compiled.add(d);
  const kept = symbols.filter((s) => s.kind !== 'label' || !compiled.has(s.name.slice(0, s.name.indexOf('.'))));
  if (kept.length > MAX_SYMBOLS) {
    const counts = objects.map((o) => ({ o, n: symbolsOf(o).defines.length })).sort((a, b) => b.n - a.n);
    const top = counts[0]!;
    throw new LinkError([{
      file: top.o.source ?? top.o.name, line: 0, col: 0, sourceLine: '',
      message: `the program has ${kept.length} symbols (functions, objects and labels; ${top.n} from this file), more than the ${MAX_SYMBOLS} an image can hold`,
    }]);
  }
  return kept.map((s) => ({ ...s, name: displayName(s.name) }));
}

function enclosingFunction(text: string, line: number): string | undefined {
  const lines = text.split('\n', line);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^([A-Za-z_][\w.$@?]*):/.exec(lines[i]!);
    if (m) return m[1];
  }
  return undefined;
}

/** Diagnostics show an object's own name; two objects with one name are told apart. */
function uniqueNames(objs: readonly ObjectFile[]): string[] {
  const seen = new Map<string, number>();
  return objs.map((o) => {
    const base = o.name.replace(/^\.\//, '') || 'object';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n + 1}`;
  });
}

function selectMembers(objects: readonly ObjectFile[], libraries: readonly (readonly ObjectFile[])[]): ObjectFile[] {
  const chosen = [...objects];
  const defined = new Set<string>();
  const wanted = new Set<string>();
  const take = (o: ObjectFile): void => {
    const s = symbolsOf(o);
    for (const d of s.defines) defined.add(d);
    for (const m of s.mentions) wanted.add(m);
  };
  objects.forEach(take);
  const pending = libraries.flat().filter((o) => !objects.includes(o));
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < pending.length; i++) {
      const o = pending[i]!;
      if (!symbolsOf(o).defines.some((d) => wanted.has(d) && !defined.has(d))) continue;
      chosen.push(o);
      take(o);
      pending.splice(i--, 1);
      changed = true;
    }
  }
  return chosen;
}

function checkDuplicates(objs: readonly ObjectFile[]): void {
  const owner = new Map<string, ObjectFile>();
  const diags: LinkDiagnostic[] = [];
  for (const o of objs) {
    for (const d of new Set(symbolsOf(o).defines)) {
      const first = owner.get(d);
      if (first && first !== o) {
        diags.push({ file: o.name, line: 0, col: 0, message: `multiple definition of '${displayName(d)}' (first defined in ${first.name})`, sourceLine: '' });
      } else {
        owner.set(d, o);
      }
    }
  }
  if (diags.length) throw new LinkError(diags);
}
