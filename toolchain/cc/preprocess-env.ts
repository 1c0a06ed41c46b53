/**
 * What the preprocessor takes from its surroundings: the predefined macros, where the libc's
 * headers are, the file system, and a cache of header text already split into lines.
 */
import { statSync, type BigIntStats } from 'node:fs';
import { InputFileError, readHostText } from '../../vmm/host-file.js';
import { projectFile } from '../../vmm/paths.js';
import { splitLines } from './preprocess-lex.js';

export function libcIncludeDir(): string {
  return projectFile('guest-os', 'libc', 'include');
}

/** Predefined for every unit. The GCC-style names let one set of libc headers serve gcc too. */
export const PREDEFINED: readonly string[] = [
  '__mx86__=1', '__vamos__=1', '__STDC__=1', '__STDC_VERSION__=199901L', '__STDC_HOSTED__=0',
  '__ILP32__=1', '__CHAR_BIT__=8', '__SIZEOF_SHORT__=2', '__SIZEOF_INT__=4', '__SIZEOF_LONG__=4',
  '__SIZEOF_LONG_LONG__=8', '__SIZEOF_POINTER__=4', '__SIZEOF_SIZE_T__=4',
  '__SCHAR_MAX__=0x7f', '__SHRT_MAX__=0x7fff', '__INT_MAX__=0x7fffffff', '__LONG_MAX__=0x7fffffffL',
  '__LONG_LONG_MAX__=0x7fffffffffffffffLL',
  '__SIZE_TYPE__=unsigned int', '__PTRDIFF_TYPE__=int', '__INTPTR_TYPE__=int', '__UINTPTR_TYPE__=unsigned int',
  '__WCHAR_TYPE__=int', '__SIZE_MAX__=0xffffffffU',
];

/**
 * Every unit of a build reads the same headers; their logical lines are computed once per
 * process (keyed by the text itself, so an edited file is simply new text).
 */
const splitCache = new Map<string, ReturnType<typeof splitLines>>();
const SPLIT_CACHE_ENTRIES = 256;

export function cachedSplit(source: string): ReturnType<typeof splitLines> {
  let s = splitCache.get(source);
  if (s) return s;
  s = splitLines(source);
  if (source.length <= 1 << 18) {
    if (splitCache.size >= SPLIT_CACHE_ENTRIES) splitCache.delete(splitCache.keys().next().value!);
    splitCache.set(source, s);
  }
  return s;
}

export function isDirective(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 35) return true;
    if (c !== 32 && c !== 9 && c !== 12 && c !== 11) return false;
  }
  return false;
}

/**
 * A file's text, or undefined when there is no such file (the next include directory is
 * tried). A file that exists but cannot be read (a device such as /dev/zero, a directory's
 * permissions, a file over the cap) throws InputFileError.
 *
 * Every unit of a build includes the same headers, and reading one (open, read, close, decode)
 * was an eighth of the compile time: a regular file's text is kept per process and reused
 * while a stat shows the same file (inode, size, modification and change times), so an edited
 * or replaced header is read again. File times tick coarsely (milliseconds), so a file changed
 * less than a second before it was read is not kept: an edit in the same tick could otherwise
 * leave every field the same (git's "racy clean" problem). Host time only; no output depends on it.
 */
export function readOrUndefined(path: string): string | undefined {
  const st = statOrUndefined(path);
  const kept = st?.isFile() ? textCache.get(path) : undefined;
  if (kept && st && sameFile(kept.st, st)) return kept.text;
  const text = readUncached(path);
  if (text !== undefined && st?.isFile() && st.size <= TEXT_CACHE_MAX_BYTES && Date.now() - Number(st.ctimeMs) > SETTLED_MS) {
    if (textCache.size >= TEXT_CACHE_ENTRIES) textCache.delete(textCache.keys().next().value!);
    textCache.set(path, { st, text });
  }
  return text;
}

const textCache = new Map<string, { st: BigIntStats; text: string }>();
const TEXT_CACHE_ENTRIES = 512;
const TEXT_CACHE_MAX_BYTES = 1 << 20;
const SETTLED_MS = 1000;

function statOrUndefined(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined; // ENOTDIR, EACCES...: readUncached reports it as before
  }
}

const sameFile = (a: BigIntStats, b: BigIntStats): boolean => a.ino === b.ino && a.dev === b.dev && a.size === b.size
  && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

function readUncached(path: string): string | undefined {
  try {
    return readHostText(path);
  } catch (e) {
    if (e instanceof InputFileError && !['ENOENT', 'ENOTDIR', 'EISDIR'].includes(e.code)) throw e;
    return undefined;
  }
}
