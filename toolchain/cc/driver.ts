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
import { compile, type CcStats } from './compile.js';
import { cachedLibc, readLibcFiles } from './libc-cache.js';
import { CcError } from './errors.js';
import { libcIncludeDir, preprocess } from './preprocess.js';

/**
 * The optimization level of every guest build: `vamos run`, `vamos cc` without -O, the OS, the
 * firmware, the database and the modules (docs/cc-optimizer.md). -O0 stays for debugging and as
 * the baseline the optimizer is tested against; pass `opt: 0` for it.
 */
export const GUEST_OPT_LEVEL = 2;

export interface CcOptions {
  includeDirs?: readonly string[];
  defines?: readonly string[];
  undefines?: readonly string[];
  optimize?: boolean;
  /** Optimization level (compile.ts CompileOptions.opt); default GUEST_OPT_LEVEL. */
  opt?: number;
  /** Collects the optimizer's fallbacks of the units compiled here (not of the cached libc). */
  stats?: CcStats;
  /** Default: the file system; undefined for a missing file. */
  readFile?: (path: string) => string | undefined;
}

export interface BuildOptions extends CcOptions, LinkOptions {
  /** Link crt0 (a hosted program: `main`, the console, exit codes). Default true. */
  runtime?: boolean;
  /** Offer the libc to the linker. Default true. */
  libc?: boolean;
  /** Where the libc's compiled objects are cached on disk; default out/cache/libc/ (libc-cache.ts). */
  libcCacheDir?: string;
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
  return compile(pre, { file, unitPrefix, optimize: opts.optimize ?? false, opt: opts.opt ?? GUEST_OPT_LEVEL, stats: opts.stats });
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

let runtimeMemo: ObjectFile | undefined;

/** crt0, read each time but the same object while its text is unchanged (the linker keys on it). */
export function runtimeObjects(): ObjectFile[] {
  const path = projectFile('guest-os', 'runtime', 'crt0.s');
  const text = readFileSync(path, 'utf8');
  if (runtimeMemo?.text !== text) runtimeMemo = parseObject(projectRelative(path), text);
  return [runtimeMemo];
}

/**
 * Every libc source compiled, from the libc cache (memory, then out/cache/libc/ on disk) when
 * the sources, headers, toolchain and options are unchanged (toolchain/cc/libc-cache.ts).
 */
export function libcObjects(optimize = false, cacheDir?: string, opt = GUEST_OPT_LEVEL): ObjectFile[] {
  return libcObjectsAt({ src: projectFile('guest-os', 'libc', 'src'), include: libcIncludeDir() }, optimize, cacheDir, opt);
}

/** The same for a libc in other directories (tests), cached under `cacheDir`. */
export function libcObjectsAt(dirs: { src: string; include: string }, optimize = false, cacheDir = projectFile('out', 'cache', 'libc'), opt = GUEST_OPT_LEVEL): ObjectFile[] {
  const files = readLibcFiles(dirs.src, dirs.include, projectRelative);
  // The default include directory is searched anyway; another one goes first.
  const includeDirs = dirs.include === libcIncludeDir() ? [] : [dirs.include];
  // The key names the level only when it is not 0, so existing caches of -O0 objects stay valid.
  const key = opt ? { optimize, includeDirs, opt } : { optimize, includeDirs };
  return cachedLibc(files, JSON.stringify(key), cacheDir, () => files.sources.map((f) => (
    f.path.endsWith('.c') ? compileObject(f.text, f.name, { optimize, includeDirs, opt }) : parseObject(f.name, f.text))));
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
    libraries: libc ? [libcObjects(opts.optimize ?? false, opts.libcCacheDir, opts.opt ?? GUEST_OPT_LEVEL)] : [],
  });
}

export { libcIncludeDir };
