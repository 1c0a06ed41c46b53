/**
 * The lexer works on preprocessed C. GCC-style linemarkers (`# 12 "file.c" 1`) and `#line`
 * move the reported location so that diagnostics name the original file and line.
 */
import { fail, type Loc } from './errors.js';

/** The longest identifier: with the linker's prefixes it still fits an image's symbol names (1024 bytes). */
export const MAX_IDENTIFIER = 1000;

export type TokKind = 'id' | 'kw' | 'num' | 'char' | 'str' | 'punct' | 'eof';

export interface Token {
  k: TokKind;
  text: string;
  loc: Loc;
  /** num/char: the value. */
  val?: bigint;
  /** num: suffix-derived properties. */
  unsignedSuffix?: boolean;
  longs?: number;
  /** num: written in hex or octal (affects which types the value may take). */
  nonDecimal?: boolean;
  /** str: the bytes, without the terminating NUL. */
  bytes?: number[];
}

const KEYWORDS = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum',
  'extern', 'float', 'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return',
  'short', 'signed', 'sizeof', 'static', 'struct', 'switch', 'typedef', 'union', 'unsigned', 'void',
  'volatile', 'while', '_Bool', '_Noreturn', '_Static_assert', '__attribute__', '__attribute',
  '__inline', '__inline__', '__restrict', '__restrict__', '__volatile__', '__volatile', '__const',
  '__const__', '__signed__', '__signed', '__extension__', 'asm', '__asm__', '__asm', '_Complex',
  '__typeof__', 'typeof', '__typeof', '_Alignof', '__alignof__', '_Alignas', '_Thread_local',
]);

const PUNCTS = [
  '...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=',
  '%=', '+=', '-=', '&=', '^=', '|=', '##', '[', ']', '(', ')', '{', '}', '.', '&', '*', '+', '-', '~',
  '!', '/', '%', '<', '>', '^', '|', '?', ':', ';', '=', ',', '#',
];

const PUNCT_BY_CHAR = new Map<string, string[]>();
for (const p of PUNCTS) PUNCT_BY_CHAR.set(p[0]!, [...(PUNCT_BY_CHAR.get(p[0]!) ?? []), p]);

/** The longest punctuator at `i` (PUNCTS lists longer ones first), without a closure per token. */
function punctAt(text: string, i: number, c: string): string | undefined {
  const candidates = PUNCT_BY_CHAR.get(c);
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) if (text.startsWith(candidates[k]!, i)) return candidates[k];
  return undefined;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdChar = (c: number): boolean => isIdStart(c) || isDigit(c);
const encoder = new TextEncoder();

export interface Lexed {
  tokens: Token[];
  lines: string[];
}

export function lex(source: string, file: string): Lexed {
  const lines = source.split(/\r?\n/);
  const tokens: Token[] = [];
  let curFile = file;
  let curLine = 1;
  let inComment = false;
  for (let li = 0; li < lines.length; li++) {
    const text = lines[li]!;
    const lineNo = curLine;
    curLine++;
    let i = 0;
    const loc = (col: number): Loc => ({ file: curFile, line: lineNo, col: col + 1, src: li });
    if (!inComment && text.includes("#")) {
      const m = /^\s*#\s*(?:line\s+)?(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?/.exec(text);
      if (m) {
        curLine = Number(m[1]);
        if (m[2] !== undefined) curFile = m[2].replace(/\\(.)/g, '$1');
        continue;
      }
      if (/^\s*#\s*(pragma|ident)\b/.test(text) || /^\s*#\s*$/.test(text)) continue;
      if (/^\s*#/.test(text)) fail(loc(text.indexOf('#')), 'unexpected preprocessing directive (the input must be preprocessed)');
    }
    while (i < text.length) {
      if (inComment) {
        const end = text.indexOf('*/', i);
        if (end < 0) { i = text.length; break; }
        i = end + 2;
        inComment = false;
        continue;
      }
      const code0 = text.charCodeAt(i);
      // space, \t, \v, \f, \r
      if (code0 === 32 || (code0 >= 9 && code0 <= 13 && code0 !== 10)) { i++; continue; }
      const c = text[i]!;
      if (c === '/' && text[i + 1] === '/') break;
      if (c === '/' && text[i + 1] === '*') { inComment = true; i += 2; continue; }
      const start = i;
      const code = text.charCodeAt(i);
      if (isIdStart(code)) {
        while (i < text.length && isIdChar(text.charCodeAt(i))) i++;
        if (i - start > MAX_IDENTIFIER) fail(loc(start), `identifier is ${i - start} characters long (the limit is ${MAX_IDENTIFIER}: names go into the image's symbol table)`);
        const word = text.slice(start, i);
        if ((word === 'L' || word === 'u' || word === 'U' || word === 'u8') && (text[i] === '"' || text[i] === "'")) {
          if (word !== 'u8') fail(loc(start), 'wide character and string literals are not supported');
          continue; // u8"..." is an ordinary string for us
        }
        tokens.push({ k: KEYWORDS.has(word) ? 'kw' : 'id', text: word, loc: loc(start) });
        continue;
      }
      if (isDigit(code) || (c === '.' && isDigit(text.charCodeAt(i + 1)))) {
        while (i < text.length && (isIdChar(text.charCodeAt(i)) || text[i] === '.')) {
          if ((text[i] === 'e' || text[i] === 'E' || text[i] === 'p' || text[i] === 'P') && (text[i + 1] === '+' || text[i + 1] === '-')) i++;
          i++;
        }
        tokens.push(number(text.slice(start, i), loc(start)));
        continue;
      }
      if (c === "'") {
        const [bytes, end] = quoted(text, i, "'", loc);
        if (bytes.length === 0) fail(loc(start), 'empty character constant');
        if (bytes.length > 1) fail(loc(start), 'multi-character constants are not supported');
        // Plain char is signed, so '\xff' is -1, as with gcc on x86.
        tokens.push({ k: 'char', text: text.slice(start, end), loc: loc(start), val: BigInt((bytes[0]! << 24) >> 24) });
        i = end;
        continue;
      }
      if (c === '"') {
        const [bytes, end] = quoted(text, i, '"', loc);
        tokens.push({ k: 'str', text: text.slice(start, end), loc: loc(start), bytes });
        i = end;
        continue;
      }
      const p = punctAt(text, i, c);
      if (p === undefined) fail(loc(start), `stray '${c}' in program`);
      tokens.push({ k: 'punct', text: p, loc: loc(start) });
      i += p.length;
    }
  }
  const last = lines.length - 1;
  tokens.push({ k: 'eof', text: 'end of input', loc: { file: curFile, line: curLine - 1, col: (lines[last] ?? '').length + 1, src: last } });
  return { tokens, lines };
}

function number(text: string, loc: Loc): Token {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$/.exec(text);
  if (!m) {
    if (/^[0-9]*\.|[eEpP]|^[0-9.]+[fF]$/.test(text) && !/^0[xX]/.test(text)) fail(loc, 'floating-point constants are not supported');
    fail(loc, `invalid number '${text}'`);
  }
  const digits = m[1]!;
  const suffix = m[2]!.toLowerCase();
  if (!/^(u?(l|ll)?|(l|ll)u)$/.test(suffix)) fail(loc, `invalid suffix '${m[2]}' on integer constant`);
  let val: bigint;
  if (/^0[0-7]+$/.test(digits)) val = BigInt('0o' + digits.slice(1));
  else if (/^0[0-9]+$/.test(digits)) fail(loc, `invalid digit in octal constant '${text}'`);
  else val = BigInt(digits);
  if (val >= 1n << 64n) fail(loc, `integer constant '${text}' is too large`);
  return {
    k: 'num', text, loc, val, unsignedSuffix: suffix.includes('u'),
    longs: suffix.includes('ll') ? 2 : suffix.includes('l') ? 1 : 0,
    nonDecimal: digits.length > 1 && digits[0] === '0',
  };
}

const SIMPLE_ESC: Record<string, number> = {
  n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, "'": 39, '"': 34, '?': 63,
};

/** Decodes a quoted literal starting at `i`; returns its bytes and the index after the closing quote. */
function quoted(text: string, i: number, q: string, loc: (col: number) => Loc): [number[], number] {
  const out: number[] = [];
  let j = i + 1;
  while (true) {
    if (j >= text.length) fail(loc(i), q === '"' ? 'missing terminating " character' : "missing terminating ' character");
    const c = text[j]!;
    if (c === q) return [out, j + 1];
    if (c !== '\\') {
      const cp = text.codePointAt(j)!;
      if (cp < 0x80) out.push(cp);
      else out.push(...encoder.encode(String.fromCodePoint(cp)));
      j += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = text[j + 1];
    if (e === undefined) fail(loc(j), 'backslash at the end of a literal');
    if (e === 'x') {
      let k = j + 2;
      while (k < text.length && /[0-9a-fA-F]/.test(text[k]!)) k++;
      if (k === j + 2) fail(loc(j), '\\x used with no following hex digits');
      out.push(Number.parseInt(text.slice(j + 2, k), 16) & 0xff);
      j = k;
    } else if (/[0-7]/.test(e)) {
      let k = j + 1;
      while (k < text.length && k < j + 4 && /[0-7]/.test(text[k]!)) k++;
      out.push(Number.parseInt(text.slice(j + 1, k), 8) & 0xff);
      j = k;
    } else if (e in SIMPLE_ESC) {
      out.push(SIMPLE_ESC[e]!);
      j += 2;
    } else {
      fail(loc(j), `unknown escape sequence '\\${e}'`);
    }
  }
}
