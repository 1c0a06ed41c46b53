/**
 * Source text to a flat list of statements: includes are read, macros expanded, local label
 * names qualified and instruction forms chosen here, so the two passes see only simple
 * statements with known lengths.
 */
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { InsnDef } from '../../vmm/isa/table.js';
import { Diagnostics, StmtError, type Loc } from './errors.js';
import { codeEnd, lex, type Token } from './lexer.js';
import { controlRegister, parseExpr, registerNumber, Tokens, type Expr } from './expr.js';
import { parseParams, splitArgs, substitute, type Macro } from './macros.js';
import { isMnemonic, parseOperand, selectForm, type SynOperand } from './operands.js';

export type Section = 'text' | 'data' | 'bss';

export type Stmt = { loc: Loc; col: number } & (
  | { k: 'label'; name: string; local: boolean }
  | { k: 'insn'; def: InsnDef; ops: SynOperand[] }
  | { k: 'equ'; name: string; e: Expr }
  | { k: 'data'; size: 1 | 2 | 4; items: (Expr | Uint8Array)[] }
  | { k: 'space'; count: Expr; fill: Expr | null }
  | { k: 'align'; n: Expr; fill: Expr | null }
  | { k: 'org'; addr: Expr; fill: Expr | null }
  | { k: 'section'; sec: Section }
  | { k: 'global'; name: string }
  | { k: 'func'; name: string }
  | { k: 'endfunc' }
);

export interface ParseOptions {
  includeDirs: readonly string[];
  readFile: (path: string) => string;
}

const MAX_EXPANSION_DEPTH = 64;
const MAX_INCLUDE_DEPTH = 64;
/** Bounds runaway macro expansion (a macro calling itself twice grows exponentially). */
const MAX_LINES = 2_000_000;

const SECTION_NAMES: Record<string, Section> = {
  '.text': 'text', text: 'text', '.data': 'data', data: 'data', '.rodata': 'data', rodata: 'data',
  '.bss': 'bss', bss: 'bss',
};

const DIRECTIVES = new Set([
  '.equ', '.byte', '.word', '.dword', '.ascii', '.asciz', '.space', '.align', '.org', '.text', '.data',
  '.bss', '.section', '.global', '.globl', '.include', '.macro', '.endm', '.func', '.endfunc',
]);

export class Parser {
  readonly stmts: Stmt[] = [];
  private readonly macros = new Map<string, Macro>();
  private scope = '';
  private expansions = 0;
  private depth = 0;
  private lines = 0;
  private aborted = false;
  private readonly includes: string[] = [];
  /** The macro whose body is being collected, with the nesting of `.macro` inside it. */
  private collecting: { macro: Macro; nest: number; loc: Loc; col: number; keep: boolean } | null = null;

  constructor(private readonly diags: Diagnostics, private readonly opts: ParseOptions) {}

  file(name: string, text: string): void {
    this.includes.push(normalize(name));
    const lines = text.split(/\r\n|\n|\r/);
    lines.forEach((line, i) => this.line(line, { file: name, line: i + 1, text: line, seq: this.lines }));
    if (this.collecting) {
      const { macro, loc, col } = this.collecting;
      this.collecting = null;
      this.diags.add(loc, col, `'.macro ${macro.name}' has no '.endm'`);
    }
    this.includes.pop();
  }

  private line(text: string, loc: Loc): void {
    if (this.aborted) return;
    if (++this.lines > MAX_LINES) {
      this.aborted = true;
      this.diags.add(loc, 1, 'too many lines to assemble (a macro that expands without end?)');
      return;
    }
    if (this.collecting) return this.collect(text, loc);
    this.diags.guard(loc, () => this.statement(text, loc));
  }

  private collect(text: string, loc: Loc): void {
    const c = this.collecting!;
    const head = /^\s*(\.[A-Za-z]+)\b/.exec(text.slice(0, codeEnd(text)))?.[1]?.toLowerCase();
    if (head === '.macro') c.nest++;
    if (head === '.endm' && c.nest-- === 0) {
      this.collecting = null;
      if (c.keep) this.macros.set(c.macro.name.toLowerCase(), c.macro);
      return;
    }
    c.macro.body.push({ text, line: loc.line });
  }

  /**
   * Starts collecting a macro body. This happens before the definition line is even lexed, so
   * that when the line is refused its body is still skipped rather than assembled line by line.
   */
  private startMacro(loc: Loc, col: number): NonNullable<Parser['collecting']> {
    const c = { macro: { name: '', params: [], body: [], file: loc.file }, nest: 0, loc, col, keep: false };
    this.collecting = c;
    return c;
  }

  private statement(text: string, loc: Loc): void {
    const start = /^\s*\.macro\b/i.exec(text);
    if (start) this.startMacro(loc, start[0].length - 5);
    const ts = new Tokens(lex(text), codeEnd(text));
    while (ts.peek()?.t === 'ident' && ts.isPunct(':', 1)) {
      const t = ts.next() as Extract<Token, { t: 'ident' }>;
      ts.next();
      this.label(t.text, loc, t.col);
    }
    const head = ts.next();
    if (!head) return;
    if (head.t !== 'ident') throw new StmtError('expected an instruction, a directive or a label', head.col);
    if (ts.eat('=')) return this.equ(head.text, head.col, ts, loc);
    const name = head.text.toLowerCase();
    if (name.startsWith('.')) return this.directive(name, head, ts, loc);
    const macro = this.macros.get(name);
    if (macro) return this.expand(macro, text.slice(head.end, ts.lineEnd), loc, head.col);
    if (!isMnemonic(name)) throw new StmtError(`unknown instruction '${head.text}'`, head.col);
    const ops: SynOperand[] = [];
    if (!ts.atEnd()) {
      do ops.push(parseOperand(ts, this.qualify)); while (ts.eat(','));
      if (!ts.atEnd()) throw new StmtError(`expected ',' or the end of the line`, ts.col());
    }
    this.stmts.push({ k: 'insn', def: selectForm(head.text, head.col, ops), ops, loc, col: head.col });
  }

  private readonly qualify = (name: string): string => (name.startsWith('.') ? this.scope + name : name);

  private checkName(name: string, col: number): void {
    if (registerNumber(name) >= 0 || controlRegister(name) >= 0) {
      throw new StmtError(`'${name}' is a register name and cannot name a symbol`, col);
    }
  }

  private label(name: string, loc: Loc, col: number): void {
    this.checkName(name, col);
    const local = name.startsWith('.');
    if (local && DIRECTIVES.has(name.toLowerCase())) {
      throw new StmtError(`'${name}' is a directive and cannot name a label`, col);
    }
    const full = this.qualify(name);
    if (!local) this.scope = name;
    this.stmts.push({ k: 'label', name: full, local, loc, col });
  }

  private equ(name: string, col: number, ts: Tokens, loc: Loc): void {
    this.checkName(name, col);
    const e = parseExpr(ts, this.qualify);
    this.end(ts);
    this.stmts.push({ k: 'equ', name: this.qualify(name), e, loc, col });
  }

  private end(ts: Tokens): void {
    if (!ts.atEnd()) throw new StmtError(`unexpected '${describe(ts.peek()!)}'`, ts.col());
  }

  private ident(ts: Tokens, what: string): Extract<Token, { t: 'ident' }> {
    const t = ts.next();
    if (!t || t.t !== 'ident') throw new StmtError(`expected ${what}`, t?.col ?? ts.lineEnd + 1);
    return t;
  }

  /** An expression followed by an optional `, fill`. */
  private exprAndFill(ts: Tokens): [Expr, Expr | null] {
    const e = parseExpr(ts, this.qualify);
    const fill = ts.eat(',') ? parseExpr(ts, this.qualify) : null;
    this.end(ts);
    return [e, fill];
  }

  private directive(name: string, head: Extract<Token, { t: 'ident' }>, ts: Tokens, loc: Loc): void {
    const col = head.col;
    const push = (s: Stmt): void => void this.stmts.push(s);
    switch (name) {
      case '.equ': {
        const t = this.ident(ts, 'a symbol name');
        ts.expect(',', "',' after the name");
        return this.equ(t.text, t.col, ts, loc);
      }
      case '.byte': case '.word': case '.dword': {
        const size = name === '.byte' ? 1 : name === '.word' ? 2 : 4;
        const items: (Expr | Uint8Array)[] = [];
        do {
          const t = ts.peek();
          if (size === 1 && t?.t === 'str' && (ts.peek(1) === undefined || ts.isPunct(',', 1))) {
            ts.next();
            items.push(Uint8Array.from(t.bytes));
          } else {
            items.push(parseExpr(ts, this.qualify));
          }
        } while (ts.eat(','));
        this.end(ts);
        return push({ k: 'data', size, items, loc, col });
      }
      case '.ascii': case '.asciz': {
        const items: Uint8Array[] = [];
        do {
          const t = ts.next();
          if (!t || t.t !== 'str') throw new StmtError('expected a string in double quotes', t?.col ?? ts.lineEnd + 1);
          items.push(Uint8Array.from(name === '.asciz' ? [...t.bytes, 0] : t.bytes));
        } while (ts.eat(','));
        this.end(ts);
        return push({ k: 'data', size: 1, items, loc, col });
      }
      case '.space': { const [count, fill] = this.exprAndFill(ts); return push({ k: 'space', count, fill, loc, col }); }
      case '.align': { const [n, fill] = this.exprAndFill(ts); return push({ k: 'align', n, fill, loc, col }); }
      case '.org': { const [addr, fill] = this.exprAndFill(ts); return push({ k: 'org', addr, fill, loc, col }); }
      case '.text': case '.data': case '.bss':
        this.end(ts);
        return push({ k: 'section', sec: SECTION_NAMES[name]!, loc, col });
      case '.section': {
        const t = ts.next();
        const sname = t?.t === 'ident' ? t.text.toLowerCase() : t?.t === 'str' ? new TextDecoder().decode(Uint8Array.from(t.bytes)) : undefined;
        const sec = sname === undefined ? undefined : SECTION_NAMES[sname];
        if (!sec) throw new StmtError('unknown section; known: .text, .data (also .rodata), .bss', t?.col ?? ts.lineEnd + 1);
        this.end(ts);
        return push({ k: 'section', sec, loc, col });
      }
      case '.global': case '.globl':
        do {
          const t = this.ident(ts, 'a symbol name');
          push({ k: 'global', name: this.qualify(t.text), loc, col: t.col });
        } while (ts.eat(','));
        return this.end(ts);
      case '.func': {
        const t = this.ident(ts, 'a function name');
        this.end(ts);
        if (t.text.startsWith('.')) throw new StmtError('a function name cannot be a local label', t.col);
        this.label(t.text, loc, t.col);
        return push({ k: 'func', name: t.text, loc, col });
      }
      case '.endfunc':
        this.end(ts);
        return push({ k: 'endfunc', loc, col });
      case '.include': {
        const t = ts.next();
        if (!t || t.t !== 'str') throw new StmtError('expected a file name in double quotes', t?.col ?? ts.lineEnd + 1);
        this.end(ts);
        return this.include(new TextDecoder().decode(Uint8Array.from(t.bytes)), loc, t.col);
      }
      case '.macro': {
        const collecting = this.collecting ?? this.startMacro(loc, col);
        const macro = collecting.macro;
        const t = this.ident(ts, 'a macro name');
        macro.name = t.text;
        macro.params = parseParams(loc.text.slice(t.end, ts.lineEnd), t.end + 1);
        if (t.text.startsWith('.') || isMnemonic(t.text)) {
          throw new StmtError(`'${t.text}' is ${isMnemonic(t.text) ? 'an instruction' : 'directive-like'} and cannot name a macro`, t.col);
        }
        if (this.macros.has(t.text.toLowerCase())) throw new StmtError(`macro '${t.text}' is already defined`, t.col);
        collecting.keep = true;
        return;
      }
      case '.endm':
        throw new StmtError("'.endm' without '.macro'", col);
      default:
        throw new StmtError(`unknown directive '${head.text}'`, col);
    }
  }

  private expand(m: Macro, argText: string, loc: Loc, col: number): void {
    const args = splitArgs(argText, col);
    if (args.length !== m.params.length) {
      throw new StmtError(`macro '${m.name}' takes ${m.params.length} argument(s), got ${args.length}`, col);
    }
    if (this.depth >= MAX_EXPANSION_DEPTH) throw new StmtError(`macros nested more than ${MAX_EXPANSION_DEPTH} deep (a macro that calls itself?)`, col);
    const id = this.expansions++;
    this.depth++;
    try {
      for (const b of m.body) {
        const text = substitute(b.text, m, args, id);
        this.line(text, { file: m.file, line: b.line, text, seq: this.lines, expansion: { macro: m.name, at: loc } });
      }
    } finally {
      this.depth--;
    }
  }

  private include(name: string, loc: Loc, col: number): void {
    const candidates = isAbsolute(name) ? [name] : [join(dirname(loc.file), name), ...this.opts.includeDirs.map((d) => join(d, name))];
    for (const path of candidates) {
      let text: string;
      try {
        text = this.opts.readFile(path);
      } catch {
        continue;
      }
      if (typeof text !== 'string') continue;
      const key = normalize(path);
      if (this.includes.includes(key)) {
        throw new StmtError(`include cycle: ${[...this.includes.slice(this.includes.indexOf(key)), key].join(' -> ')}`, col);
      }
      if (this.includes.length >= MAX_INCLUDE_DEPTH) throw new StmtError('includes nested too deeply', col);
      const saved = this.collecting;
      this.collecting = null;
      this.file(path, text);
      this.collecting = saved;
      return;
    }
    throw new StmtError(`cannot find include file '${name}' (looked for ${candidates.join(', ')})`, col);
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case 'ident': case 'punct': return t.text;
    case 'num': return String(t.value);
    case 'str': return 'string';
  }
}
