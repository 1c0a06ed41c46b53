/**
 * `#if` expressions: C's integer constant expressions evaluated in intmax_t / uintmax_t
 * (64 bits), with the usual arithmetic conversions between the two. Identifiers left after
 * macro expansion are 0, as C says.
 */
import { K, type Tok } from './preprocess-lex.js';
import { LineError } from './preprocess-errors.js';

interface Val { v: bigint; u: boolean }

const norm = (v: bigint, u: boolean): Val => ({ v: u ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v), u });

export function evalIf(ts: readonly Tok[], endCol: number): boolean {
  const p = new ExprParser(ts, endCol);
  const r = p.comma();
  if (p.i < ts.length) throw new LineError(`unexpected '${ts[p.i]!.text}' in #if expression`, ts[p.i]!.col);
  return r.v !== 0n;
}

/** `cond ? a : b` and `&&`/`||` skip evaluating an operand; division by zero there is no error. */
/** Parentheses and unary operators nested deeper than this are an error, not a host stack overflow. */
export const MAX_IF_NESTING = 256;

class ExprParser {
  i = 0;
  private skip = 0;
  private depth = 0;
  constructor(private readonly ts: readonly Tok[], private readonly endCol: number) {}

  private peek(): string | undefined {
    const t = this.ts[this.i];
    return t && t.k === K.Punct ? t.text : undefined;
  }

  private col(): number {
    return this.ts[this.i]?.col ?? this.endCol;
  }

  private expect(p: string): void {
    if (this.peek() !== p) {
      const t = this.ts[this.i];
      throw new LineError(t ? `expected '${p}' in #if expression, found '${t.text}'` : `expected '${p}' at the end of the #if expression`, this.col());
    }
    this.i++;
  }

  comma(): Val {
    let v = this.cond();
    while (this.peek() === ',') { this.i++; v = this.cond(); }
    return v;
  }

  private cond(): Val {
    const c = this.binary(0);
    if (this.peek() !== '?') return c;
    this.i++;
    const take = c.v !== 0n;
    if (!take) this.skip++;
    const a = this.comma();
    if (!take) this.skip--;
    this.expect(':');
    if (take) this.skip++;
    const b = this.cond();
    if (take) this.skip--;
    const u = a.u || b.u;
    return norm(take ? a.v : b.v, u);
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
  ];

  private binary(level: number): Val {
    if (level === ExprParser.LEVELS.length) return this.unary();
    const ops = ExprParser.LEVELS[level]!;
    let l = this.binary(level + 1);
    for (;;) {
      const op = this.peek();
      if (op === undefined || !ops.includes(op)) return l;
      const col = this.col();
      this.i++;
      if (op === '&&' || op === '||') {
        const short = op === '&&' ? l.v === 0n : l.v !== 0n;
        if (short) this.skip++;
        const r = this.binary(level + 1);
        if (short) this.skip--;
        l = { v: (op === '&&' ? l.v !== 0n && r.v !== 0n : l.v !== 0n || r.v !== 0n) ? 1n : 0n, u: false };
        continue;
      }
      l = this.apply(op, l, this.binary(level + 1), col);
    }
  }

  private apply(op: string, a: Val, b: Val, col: number): Val {
    const shift = op === '<<' || op === '>>';
    const u = shift ? a.u : a.u || b.u;
    const x = norm(a.v, u).v;
    const y = shift ? b.v : norm(b.v, u).v;
    switch (op) {
      case '*': return norm(x * y, u);
      case '/': case '%':
        if (y === 0n) {
          if (this.skip) return { v: 0n, u };
          throw new LineError(`division by zero in #if expression`, col);
        }
        return norm(op === '/' ? x / y : x % y, u);
      case '+': return norm(x + y, u);
      case '-': return norm(x - y, u);
      case '<<': return norm(y < 0n ? x >> -y : y >= 64n ? 0n : x << y, u);
      case '>>': return norm(y < 0n ? x << -y : y >= 64n ? (x < 0n ? -1n : 0n) : x >> y, u);
      case '<': return { v: x < y ? 1n : 0n, u: false };
      case '>': return { v: x > y ? 1n : 0n, u: false };
      case '<=': return { v: x <= y ? 1n : 0n, u: false };
      case '>=': return { v: x >= y ? 1n : 0n, u: false };
      case '==': return { v: x === y ? 1n : 0n, u: false };
      case '!=': return { v: x !== y ? 1n : 0n, u: false };
      case '&': return norm(x & y, u);
      case '^': return norm(x ^ y, u);
      case '|': return norm(x | y, u);
    }
    throw new LineError(`operator '${op}' is not allowed in #if`, col);
  }

  private unary(): Val {
    if (this.depth >= MAX_IF_NESTING) throw new LineError(`#if expression nested more than ${MAX_IF_NESTING} deep`, this.col());
    this.depth++;
    try {
      return this.unaryAt();
    } finally {
      this.depth--;
    }
  }

  private unaryAt(): Val {
    const t = this.ts[this.i];
    if (!t) throw new LineError('#if expression ends too early', this.endCol);
    if (t.k === K.Punct) {
      switch (t.text) {
        case '(': { this.i++; const v = this.comma(); this.expect(')'); return v; }
        case '+': this.i++; return this.unary();
        case '-': { this.i++; const v = this.unary(); return norm(-v.v, v.u); }
        case '~': { this.i++; const v = this.unary(); return norm(~v.v, v.u); }
        case '!': { this.i++; const v = this.unary(); return { v: v.v === 0n ? 1n : 0n, u: false }; }
      }
      throw new LineError(`unexpected '${t.text}' in #if expression`, t.col);
    }
    this.i++;
    if (t.k === K.Ident) return { v: 0n, u: false };
    if (t.k === K.Number) return number(t);
    if (t.k === K.Char) return { v: charValue(t), u: false };
    throw new LineError(`'${t.text}' cannot appear in a #if expression`, t.col);
  }
}

function number(t: Tok): Val {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9]\d*)([uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?$/.exec(t.text);
  if (!m) throw new LineError(`'${t.text}' is not an integer constant`, t.col);
  const digits = m[1]!;
  const v = /^0[0-7]+$/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
  if (v >= 1n << 64n) throw new LineError(`integer constant '${t.text}' is too large`, t.col);
  const u = /[uU]/.test(m[2] ?? '') || v >= 1n << 63n;
  return { v, u };
}

const ESC: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };

/** A plain char constant has type int; char is signed, so '\xff' is -1, as on gcc for x86. */
function charValue(t: Tok): bigint {
  const body = t.text.slice(t.text.indexOf("'") + 1, -1);
  let c: number;
  if (body.startsWith('\\')) {
    const e = body.slice(1);
    if (/^x[0-9a-fA-F]+$/.test(e)) c = parseInt(e.slice(1), 16);
    else if (/^[0-7]{1,3}$/.test(e)) c = parseInt(e, 8);
    else if (e.length === 1 && ESC[e] !== undefined) c = ESC[e]!;
    else throw new LineError(`unknown escape in character constant ${t.text}`, t.col);
  } else {
    if (body.length !== 1) throw new LineError(`character constant ${t.text} must hold one character`, t.col);
    c = body.charCodeAt(0);
  }
  return BigInt(t.text.startsWith("'") ? (c & 0xff) << 24 >> 24 : c);
}
