/**
 * Splits one source line into tokens. Lines are independent (no statement spans lines), so the
 * lexer works a line at a time and reports columns, which is all a diagnostic needs.
 */
import { StmtError } from './errors.js';

export type Token =
  | { t: 'ident'; text: string; col: number; end: number }
  | { t: 'num'; value: number; col: number; end: number }
  | { t: 'str'; bytes: number[]; col: number; end: number }
  | { t: 'punct'; text: string; col: number; end: number };

/** Longest first, so `<<` wins over `<`. */
const PUNCT = ['<<', '>>', '[', ']', '(', ')', ',', ':', '+', '-', '*', '/', '%', '&', '^', '|', '~', '!', '=', '$'];

const IDENT_START = /[A-Za-z_.]/;
const IDENT_PART = /[A-Za-z0-9_.$@?]/;

/** Index of where code ends: the first `;` or `//` outside a string or character constant. */
export function codeEnd(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ';' || (c === '/' && line[i + 1] === '/')) {
      return i;
    }
  }
  return line.length;
}

/** Tokens of `line`; columns are 1-based. Throws StmtError for malformed input. */
export function lex(line: string): Token[] {
  const end = codeEnd(line);
  const out: Token[] = [];
  let i = 0;
  while (i < end) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < end && IDENT_PART.test(line[j]!)) j++;
      out.push({ t: 'ident', text: line.slice(i, j), col: i + 1, end: j });
      i = j;
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < end && /[A-Za-z0-9_]/.test(line[j]!)) j++;
      out.push({ t: 'num', value: parseNumber(line.slice(i, j), i + 1), col: i + 1, end: j });
      i = j;
    } else if (c === '"' || c === "'") {
      const { bytes, next } = readQuoted(line, i, end);
      if (c === '"') {
        out.push({ t: 'str', bytes, col: i + 1, end: next });
      } else {
        const cp = [...new TextDecoder().decode(Uint8Array.from(bytes))];
        if (bytes.length === 0 || cp.length !== 1) {
          throw new StmtError('a character constant holds exactly one character', i + 1);
        }
        out.push({ t: 'num', value: cp[0]!.codePointAt(0)!, col: i + 1, end: next });
      }
      i = next;
    } else {
      const p = PUNCT.find((s) => line.startsWith(s, i));
      if (!p) throw new StmtError(`unexpected character '${printable(c)}'`, i + 1);
      out.push({ t: 'punct', text: p, col: i + 1, end: i + p.length });
      i += p.length;
    }
  }
  return out;
}

export function printable(c: string): string {
  return /[\x20-\x7e]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

function parseNumber(text: string, col: number): number {
  const m = /^0([xbo])(.*)$/i.exec(text);
  const radix = m ? { x: 16, b: 2, o: 8 }[m[1]!.toLowerCase() as 'x' | 'b' | 'o'] : 10;
  const digits = (m ? m[2]! : text);
  const valid = { 16: /^[0-9a-f]+(_[0-9a-f]+)*$/i, 10: /^[0-9]+(_[0-9]+)*$/, 8: /^[0-7]+(_[0-7]+)*$/, 2: /^[01]+(_[01]+)*$/ }[radix]!;
  if (!valid.test(digits)) throw new StmtError(`malformed number '${text}'`, col);
  let v = 0;
  for (const d of digits.replace(/_/g, '')) {
    v = v * radix + parseInt(d, radix);
    if (v > 0xffffffff) throw new StmtError(`number '${text}' does not fit in 32 bits`, col);
  }
  return v;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, '"': 34, "'": 39,
};

/** Reads a quoted string starting at `start` (the quote) and returns its UTF-8 bytes. */
function readQuoted(line: string, start: number, end: number): { bytes: number[]; next: number } {
  const quote = line[start]!;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let i = start + 1;
  while (i < end) {
    const c = line[i]!;
    if (c === quote) return { bytes, next: i + 1 };
    if (c !== '\\') {
      const cp = line.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (/\p{Cs}/u.test(ch)) throw new StmtError('invalid character in string', i + 1);
      bytes.push(...enc.encode(ch));
      i += ch.length;
      continue;
    }
    const e = line[i + 1];
    if (e === undefined || i + 1 >= end) break;
    if (e === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(line.slice(i + 2, end));
      if (!m) throw new StmtError('\\x needs one or two hex digits', i + 1);
      bytes.push(parseInt(m[0], 16));
      i += 2 + m[0].length;
    } else if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(line.slice(i + 1, end))!;
      const v = parseInt(m[0], 8);
      if (v > 255) throw new StmtError(`octal escape \\${m[0]} is larger than a byte`, i + 1);
      bytes.push(v);
      i += 1 + m[0].length;
    } else if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else {
      throw new StmtError(`unknown escape '\\${printable(e)}'`, i + 1);
    }
  }
  throw new StmtError(quote === '"' ? 'unterminated string' : 'unterminated character constant', start + 1);
}
