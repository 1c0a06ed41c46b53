/**
 * The preprocessor's view of text: translation phases 2 and 3 (line splices and comments gone,
 * one entry per logical line) and preprocessing tokens within a logical line.
 */

export interface LogicalLine {
  text: string;
  /** Physical line where the logical line starts (1-based). */
  line: number;
}

export interface LineSplit {
  lines: LogicalLine[];
  /** Set when the file ends inside a block comment: the line it started on. */
  openComment?: number;
  /** Where that comment's `/*` is: its physical line's text and the 1-based column. */
  openCommentAt?: { text: string; col: number };
}

/**
 * A block comment becomes one space, as C requires, so a comment spanning lines joins them into
 * one logical line; the line numbers of what follows stay exact because each logical line
 * records where it started.
 */
export function splitLines(src: string): LineSplit {
  const lines: LogicalLine[] = [];
  const n = src.length;
  let cur = '';
  let segStart = 0;
  let startLine = 1;
  let phys = 1;
  let quote = 0;
  const endLine = (end: number): void => {
    lines.push({ text: cur === '' ? src.slice(segStart, end) : cur + src.slice(segStart, end), line: startLine });
    cur = '';
  };
  // Jump between the only characters that matter; the regex engine skips the rest quickly.
  const SPECIAL = /[\n\r\\/"']/g;
  let m: RegExpExecArray | null;
  while ((m = SPECIAL.exec(src)) !== null) {
    const i = m.index;
    const c = src.charCodeAt(i);
    if (c === 10 || c === 13) {
      endLine(i);
      const next = c === 13 && src.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      phys++;
      segStart = next;
      startLine = phys;
      quote = 0; // an unterminated literal ends with its line; the tokenizer reports it
      SPECIAL.lastIndex = next;
      continue;
    }
    if (c === 92 /* \ */) {
      const nx = src.charCodeAt(i + 1);
      if (nx === 10 || nx === 13) {
        cur += src.slice(segStart, i);
        const next = i + (nx === 13 && src.charCodeAt(i + 2) === 10 ? 3 : 2);
        phys++;
        segStart = next;
        SPECIAL.lastIndex = next;
        continue;
      }
      if (quote) SPECIAL.lastIndex = i + 2;
      continue;
    }
    if (quote) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) { quote = c; continue; }
    // c is '/'
    const nx = src.charCodeAt(i + 1);
    if (nx === 47) {
      // A line comment runs to the end of the logical line, across splices.
      cur += src.slice(segStart, i);
      let j = i + 2;
      for (;;) {
        const nl = src.indexOf('\n', j);
        const e = nl < 0 ? n : nl;
        const before = src.charCodeAt(e - 1) === 13 ? e - 2 : e - 1;
        if (nl >= 0 && src.charCodeAt(before) === 92) { phys++; j = nl + 1; continue; }
        j = src.charCodeAt(e - 1) === 13 && nl >= 0 ? e - 1 : e;
        break;
      }
      segStart = j;
      SPECIAL.lastIndex = j;
      continue;
    }
    if (nx === 42) {
      cur += src.slice(segStart, i) + ' ';
      const close = src.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      for (let k = src.indexOf('\n', i + 2); k >= 0 && k < end; k = src.indexOf('\n', k + 1)) phys++;
      if (close < 0) {
        segStart = n;
        endLine(n);
        const lineStart = src.lastIndexOf('\n', i - 1) + 1;
        const lineEnd = src.indexOf('\n', i);
        let physLine = 1;
        for (let k = src.indexOf('\n'); k >= 0 && k < i; k = src.indexOf('\n', k + 1)) physLine++;
        const text = src.slice(lineStart, lineEnd < 0 ? n : lineEnd).replace(/\r$/, '');
        return { lines, openComment: physLine, openCommentAt: { text, col: i - lineStart + 1 } };
      }
      segStart = end;
      SPECIAL.lastIndex = end;
    }
  }
  if (segStart < n || cur !== '') endLine(n);
  return { lines };
}

export const enum K { Ident, Number, String, Char, Punct, Other }

export interface Tok {
  k: K;
  text: string;
  /** 1-based column in the logical line (for tokens from a macro body, where it was used). */
  col: number;
  /** Whitespace came before it: kept in the output and significant to `#` stringizing. */
  space: boolean;
  /** Names of the macros this token came out of and must not expand again (C's hide set). */
  hide: ReadonlySet<string> | null;
}

const TOKEN_RE = /[ \t\f\v]*(?:([A-Za-z_$][\w$]*)|(\.?\d(?:[eEpP][+-]|[.\w$])*)|((?:L|u8|u|U)?"(?:\\.|[^"\\])*"?)|((?:L|u|U)?'(?:\\.|[^'\\])*'?)|(<<=|>>=|\.\.\.|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[*/%+\-&|^]=|##|[{}[\]();,.<>+\-*/%&|^!~?:=#])|(\S))/y;

/** Tokens of one logical line (or of any text, for `##` and `#include` operands). */
export function tokenize(text: string, startCol = 1): Tok[] {
  const out: Tok[] = [];
  TOKEN_RE.lastIndex = 0;
  const n = text.length;
  while (TOKEN_RE.lastIndex < n) {
    const from = TOKEN_RE.lastIndex;
    const m = TOKEN_RE.exec(text);
    if (!m) break;
    let k: K;
    let s: string;
    if (m[1] !== undefined) {
      s = m[1];
      k = K.Ident;
      // An encoding prefix is an identifier only when no literal follows it.
      const nx = text.charCodeAt(TOKEN_RE.lastIndex);
      if ((nx === 34 || nx === 39) && /^(?:L|u8|u|U)$/.test(s)) {
        TOKEN_RE.lastIndex -= s.length;
        const q = TOKEN_RE.exec(text)!;
        s = (q[3] ?? q[4])!;
        k = q[3] !== undefined ? K.String : K.Char;
      }
    } else if (m[2] !== undefined) { s = m[2]; k = K.Number; }
    else if (m[3] !== undefined) { s = m[3]; k = K.String; }
    else if (m[4] !== undefined) { s = m[4]; k = K.Char; }
    else if (m[5] !== undefined) { s = m[5]; k = K.Punct; }
    else if (m[6] !== undefined) { s = m[6]; k = K.Other; }
    else break; // trailing whitespace
    const at = TOKEN_RE.lastIndex - s.length;
    out.push({ k, text: s, col: startCol + at, space: at > from, hide: null });
  }
  return out;
}

/** An unterminated literal has no closing quote (the lexer above accepts it so it can report it). */
export function unterminated(t: Tok): boolean {
  if (t.k !== K.String && t.k !== K.Char) return false;
  const q = t.k === K.String ? '"' : "'";
  const body = t.text.slice(t.text.indexOf(q));
  if (body.length < 2 || !body.endsWith(q)) return true;
  let bs = 0;
  for (let i = body.length - 2; i > 0 && body[i] === '\\'; i--) bs++;
  return bs % 2 === 1;
}

const GLUE = new Set(['++', '--', '->', '<<', '>>', '&&', '||', '==', '##', '//', '/*', '..', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<=', '>=', '!=', '<:', '%:']);
const WORDISH = /[\w$.]/;

/** Whether printing b right after a would make the compiler see different tokens. */
function mustSeparate(a: Tok, b: Tok): boolean {
  const x = a.text[a.text.length - 1]!;
  const y = b.text[0]!;
  if (WORDISH.test(x) && WORDISH.test(y)) return a.k !== K.Punct || b.k !== K.Punct;
  if (a.k === K.Punct && b.k === K.Punct) return GLUE.has(x + y);
  return (a.k === K.Number && (y === '+' || y === '-') && /[eEpP]$/.test(a.text));
}

export function joinTokens(ts: readonly Tok[]): string {
  let s = '';
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (i > 0 && (t.space || mustSeparate(ts[i - 1]!, t))) s += ' ';
    s += t.text;
  }
  return s;
}

/** Finds identifiers outside literals: the fast path skips lines that name no macro at all. */
export const WORD_RE = /"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|\.?\d(?:[eEpP][+-]|[.\w$])*|[A-Za-z_$][\w$]*/g;
