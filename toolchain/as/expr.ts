/**
 * Assembler expressions: parsing with C precedence, and evaluation in 32-bit arithmetic.
 * Values are unsigned 32-bit numbers; `/`, `%` and `>>` are unsigned, as addresses are, so
 * that `KERNEL_BASE >> 22` means what a kernel author means by it.
 */
import { StmtError } from './errors.js';
import type { Token } from './lexer.js';
import { REGISTERS } from '../../vmm/isa/table.js';

export type Expr =
  | { k: 'num'; value: number; col: number }
  | { k: 'sym'; name: string; col: number }
  | { k: 'here'; col: number }
  | { k: 'reg'; reg: number; name: string; col: number }
  | { k: 'un'; op: '-' | '~' | '!'; e: Expr; col: number }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr; col: number };

export type BinOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|';

/** Binary operators by precedence level, loosest first. */
const LEVELS: readonly (readonly BinOp[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

export function registerNumber(name: string): number {
  return (REGISTERS as readonly string[]).indexOf(name.toLowerCase());
}

/** A control-register name `crN`; returns N, or -1 when `name` is not of that shape. */
export function controlRegister(name: string): number {
  const m = /^cr([0-9]+)$/i.exec(name);
  return m ? Number(m[1]) : -1;
}

/** A cursor over one line's tokens. */
export class Tokens {
  pos = 0;
  constructor(readonly toks: readonly Token[], readonly lineEnd: number) {}

  peek(offset = 0): Token | undefined {
    return this.toks[this.pos + offset];
  }
  next(): Token | undefined {
    return this.toks[this.pos++];
  }
  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }
  /** Column for "here" diagnostics: the next token, or just past the end of the line. */
  col(): number {
    return this.peek()?.col ?? this.lineEnd + 1;
  }
  isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.t === 'punct' && t.text === text;
  }
  eat(text: string): boolean {
    if (!this.isPunct(text)) return false;
    this.pos++;
    return true;
  }
  expect(text: string, what: string): Token {
    if (!this.isPunct(text)) throw new StmtError(`expected ${what}`, this.col());
    return this.next()!;
  }
}

/** Turns a symbol as written into its full name (local `.x` becomes `scope.x`). */
export type Qualify = (name: string) => string;

export function parseExpr(ts: Tokens, qualify: Qualify): Expr {
  return parseLevel({ ts, q: qualify, nodes: 0 }, 0, 0);
}

/**
 * Evaluation recurses over the tree, so its size is bounded here: hostile input must get an
 * error, not a stack overflow. Real expressions are nowhere near the limit.
 */
const MAX_NODES = 2000;
const MAX_DEPTH = 100;

interface ParseState {
  ts: Tokens;
  q: Qualify;
  nodes: number;
}

function count(p: ParseState, col: number): void {
  if (++p.nodes > MAX_NODES) throw new StmtError('expression too complex', col);
}

function parseLevel(p: ParseState, level: number, depth: number): Expr {
  if (level === LEVELS.length) return parseUnary(p, depth);
  let a = parseLevel(p, level + 1, depth);
  for (;;) {
    const t = p.ts.peek();
    if (!t || t.t !== 'punct' || !(LEVELS[level] as readonly string[]).includes(t.text)) return a;
    p.ts.next();
    count(p, t.col);
    const b = parseLevel(p, level + 1, depth);
    a = { k: 'bin', op: t.text as BinOp, a, b, col: t.col };
  }
}

function parseUnary(p: ParseState, depth: number): Expr {
  const ts = p.ts;
  if (depth > MAX_DEPTH) throw new StmtError('expression nested too deeply', ts.col());
  const t = ts.next();
  if (!t) throw new StmtError('expected an expression', ts.lineEnd + 1);
  count(p, t.col);
  switch (t.t) {
    case 'num': return { k: 'num', value: t.value, col: t.col };
    case 'str': throw new StmtError('a string is not a number here (use a character constant like \'a\')', t.col);
    case 'ident': {
      const reg = registerNumber(t.text);
      if (reg >= 0) return { k: 'reg', reg, name: t.text.toLowerCase(), col: t.col };
      return { k: 'sym', name: p.q(t.text), col: t.col };
    }
    case 'punct':
      if (t.text === '$') return { k: 'here', col: t.col };
      if (t.text === '-' || t.text === '~' || t.text === '!') {
        return { k: 'un', op: t.text, e: parseUnary(p, depth + 1), col: t.col };
      }
      if (t.text === '+') return parseUnary(p, depth + 1);
      if (t.text === '(') {
        const e = parseLevel(p, 0, depth + 1);
        ts.expect(')', "')'");
        return e;
      }
      throw new StmtError(`expected an expression, found '${t.text}'`, t.col);
  }
}

export interface Env {
  /** Value of a symbol (full name); throws StmtError when it has none. */
  symbol(name: string, col: number): number;
  /** Address of the current statement. */
  here: number;
}

export function evaluate(e: Expr, env: Env): number {
  switch (e.k) {
    case 'num': return e.value >>> 0;
    case 'here': return env.here >>> 0;
    case 'sym': return env.symbol(e.name, e.col) >>> 0;
    case 'reg': throw new StmtError(`register '${e.name}' cannot be part of an expression (memory operands need brackets)`, e.col);
    case 'un': {
      const v = evaluate(e.e, env);
      return (e.op === '-' ? -v : e.op === '~' ? ~v : v === 0 ? 1 : 0) >>> 0;
    }
    case 'bin': return binary(e.op, evaluate(e.a, env), evaluate(e.b, env), e.col);
  }
}

/** The 32-bit meaning of each operator on unsigned operands; exported for the tests' reference. */
export function binary(op: BinOp, a: number, b: number, col = 0): number {
  switch (op) {
    case '*': return Math.imul(a, b) >>> 0;
    case '/':
    case '%':
      if (b === 0) throw new StmtError('division by zero', col);
      return (op === '/' ? Math.floor(a / b) : a % b) >>> 0;
    case '+': return (a + b) >>> 0;
    case '-': return (a - b) >>> 0;
    case '<<': return b >= 32 ? 0 : (a << b) >>> 0;
    case '>>': return b >= 32 ? 0 : a >>> b;
    case '&': return (a & b) >>> 0;
    case '^': return (a ^ b) >>> 0;
    case '|': return (a | b) >>> 0;
  }
}

/** Every symbol an expression mentions (for "defined later" checks). */
export function symbolsOf(e: Expr, out: string[] = []): string[] {
  if (e.k === 'sym') out.push(e.name);
  else if (e.k === 'un') symbolsOf(e.e, out);
  else if (e.k === 'bin') { symbolsOf(e.a, out); symbolsOf(e.b, out); }
  return out;
}
