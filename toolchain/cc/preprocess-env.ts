/**
 * What the preprocessor takes from its surroundings: the predefined macros, where the libc's
 * headers are, the file system, and a cache of header text already split into lines.
 */
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
 */
export function readOrUndefined(path: string): string | undefined {
  try {
    return readHostText(path);
  } catch (e) {
    if (e instanceof InputFileError && !['ENOENT', 'ENOTDIR', 'EISDIR'].includes(e.code)) throw e;
    return undefined;
  }
}
