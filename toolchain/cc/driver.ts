/**
 * The cc driver: C source → preprocessor → compiler → assembly object → linker → image, plus
 * the pieces every hosted program gets (crt0 and the libc, a library whose members are linked
 * only when the program mentions what they define). docs/cc-toolchain.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { projectFile, projectRoot } from '../../vmm/paths.js';
import { link, type LinkOptions, type LinkResult } from '../ld/link.js';
import { isObjectText, objectText, parseObject, unitPrefixFor, type ObjectFile } from '../ld/object.js';
import { compile } from './compile.js';
import { CcError } from './errors.js';
import { libcIncludeDir, preprocess } from './preprocess.js';

export interface CcOptions {
  includeDirs?: readonly string[];
  defines?: readonly string[];
  undefines?: readonly string[];
  optimize?: boolean;
  /** Default: the file system; undefined for a missing file. */
  readFile?: (path: string) => string | undefined;
}

export interface BuildOptions extends CcOptions, LinkOptions {
  /** Link crt0 (a hosted program: `main`, the console, exit codes). Default true. */
  runtime?: boolean;
  /** Offer the libc to the linker. Default true. */
  libc?: boolean;
}

export interface SourceInput {
  path: string;
  text: string;
}

export function preprocessC(source: string, file: string, opts: CcOptions = {}): string {
  return preprocess(source, {
    file, includeDirs: opts.includeDirs, defines: opts.defines, undefines: opts.undefines, readFile: opts.readFile,
  });
}

/** One C unit to assembly text (no object header). Throws PpError or CcError. */
export function compileC(source: string, file: string, opts: CcOptions = {}, unitPrefix = unitPrefixFor(file)): string {
  const pre = preprocessC(source, file, opts);
  return compile(pre, { file, unitPrefix, optimize: opts.optimize ?? false });
}

export function compileObject(source: string, file: string, opts: CcOptions = {}): ObjectFile {
  const unit = unitPrefixFor(file);
  const asm = compileC(source, file, opts, unit);
  return { name: file, text: objectText(asm, unit, file), unit, source: file };
}

/** What a file given to the driver is, by its name and, for objects, its first line; stdin (`-`) is C. */
export function inputKind(path: string, text: string): 'c' | 'asm' | 'object' | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.c' || ext === '.h' || path === '-') return 'c';
  if (ext === '.s' || ext === '.asm') return 'asm';
  if (ext === '.o' || isObjectText(text)) return 'object';
  return undefined;
}

export function toObject(input: SourceInput, opts: CcOptions = {}): ObjectFile {
  const kind = inputKind(input.path, input.text);
  if (kind === 'c') return compileObject(input.text, input.path, opts);
  if (kind === undefined) {
    throw new CcError([{ file: input.path, line: 0, col: 0, message: 'unknown kind of input (expected .c, .s or .o)', sourceLine: '' }]);
  }
  return parseObject(input.path, input.text);
}

function projectRelative(path: string): string {
  return relative(projectRoot(), path);
}

export function runtimeObjects(): ObjectFile[] {
  const path = projectFile('guest-os', 'runtime', 'crt0.s');
  return [parseObject(projectRelative(path), readFileSync(path, 'utf8'))];
}

const libcCache = new Map<boolean, ObjectFile[]>();

/** Every libc source, compiled once per process (per optimisation setting). */
export function libcObjects(optimize = false): ObjectFile[] {
  const cached = libcCache.get(optimize);
  if (cached) return cached;
  const dir = projectFile('guest-os', 'libc', 'src');
  const objs: ObjectFile[] = [];
  for (const f of readdirSync(dir).sort()) {
    const path = `${dir}/${f}`;
    const name = projectRelative(path);
    const text = readFileSync(path, 'utf8');
    if (f.endsWith('.c')) objs.push(compileObject(text, name, { optimize, includeDirs: [] }));
    else if (f.endsWith('.s')) objs.push(parseObject(name, text));
  }
  libcCache.set(optimize, objs);
  return objs;
}

/** The libc sources, for tools that measure or check them. */
export function libcSources(): SourceInput[] {
  const dir = projectFile('guest-os', 'libc', 'src');
  return readdirSync(dir).sort().filter((f) => f.endsWith('.c')).map((f) => {
    const path = `${dir}/${f}`;
    return { path: projectRelative(path), text: readFileSync(path, 'utf8') };
  });
}

/** Sources and objects to an image. Throws PpError, CcError or LinkError. */
export function build(inputs: readonly SourceInput[], opts: BuildOptions = {}): LinkResult {
  const objects = inputs.map((i) => toObject(i, opts));
  const runtime = opts.runtime ?? true;
  const libc = opts.libc ?? true;
  const all = runtime ? [...runtimeObjects(), ...objects] : objects;
  return link(all, {
    textBase: opts.textBase, dataBase: opts.dataBase, bssBase: opts.bssBase, entry: opts.entry,
    libraries: libc ? [libcObjects(opts.optimize ?? false)] : [],
  });
}

export { libcIncludeDir };
