/**
 * The symbol table shared by the two passes: labels get their address when pass 1 reaches
 * them; `.equ` constants are evaluated on first use (so they may refer to later labels) and
 * remembered.
 */
import { Diagnostics, StmtError } from './errors.js';
import { evaluate, type Env } from './expr.js';
import type { Section, Stmt } from './parser.js';

export interface Label {
  k: 'label';
  name: string;
  value: number;
  sec: Section;
  local: boolean;
  order: number;
  stmt: Stmt;
  /** Set by `.func`/`.endfunc`. */
  func?: boolean;
  size?: number;
}

interface Equ {
  k: 'equ';
  stmt: Extract<Stmt, { k: 'equ' }>;
  here: number;
  state: 'new' | 'busy' | 'done' | 'failed';
  value: number;
}

const MAX_CHAIN = 500;

export class Symbols {
  readonly map = new Map<string, Label | Equ>();
  readonly labels: Label[] = [];
  private chain = 0;

  /**
   * `final`: pass 2, where every label is known. In pass 1 a symbol defined further down has no
   * value yet, and `laterNames` tells that apart from one that is never defined.
   */
  constructor(private readonly diags: Diagnostics, private readonly laterNames: ReadonlySet<string>, public final = false) {}

  defineLabel(l: Omit<Label, 'k' | 'order'>): void {
    this.checkFree(l.name, l.stmt);
    // Built field by field (not spread): the linker defines thousands of labels per link.
    const label: Label = { k: 'label', name: l.name, value: l.value, sec: l.sec, local: l.local, order: this.labels.length, stmt: l.stmt, func: l.func, size: l.size };
    this.map.set(l.name, label);
    this.labels.push(label);
  }

  defineEqu(stmt: Extract<Stmt, { k: 'equ' }>, here: number): void {
    this.checkFree(stmt.name, stmt);
    this.map.set(stmt.name, { k: 'equ', stmt, here, state: 'new', value: 0 });
  }

  private checkFree(name: string, stmt: Stmt): void {
    const old = this.map.get(name);
    if (old) {
      const at = old.stmt.loc;
      throw new StmtError(`symbol '${name}' is already defined (at ${at.file}:${at.line})`, stmt.col);
    }
  }

  isDefined(name: string): boolean {
    return this.map.has(name);
  }

  /** The value of a symbol for an expression at column `col`. */
  value(name: string, col: number): number {
    const s = this.map.get(name);
    if (!s) {
      if (!this.final && this.laterNames.has(name)) {
        throw new StmtError(`'${name}' is defined further down, but this value decides addresses and must be known here`, col);
      }
      throw new StmtError(`undefined symbol '${name}'`, col);
    }
    if (s.k === 'label') return s.value;
    return this.final ? this.equFinal(s, col) : this.equEarly(s, col);
  }

  /** Pass 1: no memory, since a later label may be missing now and present in pass 2. */
  private equEarly(s: Equ, col: number): number {
    if (s.state === 'busy') throw new StmtError(`'${s.stmt.name}' is defined in terms of itself`, col);
    if (++this.chain > MAX_CHAIN) throw new StmtError('constants nested too deeply', col);
    s.state = 'busy';
    try {
      return evaluate(s.stmt.e, this.env(s.here));
    } catch (e) {
      if (e instanceof StmtError && !e.silent) throw new StmtError(`cannot use '${s.stmt.name}' here: ${e.message}`, col);
      throw e;
    } finally {
      s.state = 'new';
      this.chain--;
    }
  }

  /** Pass 2: an error inside the definition is reported at the definition, once. */
  private equFinal(s: Equ, col: number): number {
    if (s.state === 'done') return s.value;
    if (s.state === 'failed') throw new StmtError('', col, true);
    if (s.state === 'busy') throw new StmtError(`'${s.stmt.name}' is defined in terms of itself`, col);
    if (this.chain >= MAX_CHAIN) throw new StmtError('constants nested too deeply', col);
    s.state = 'busy';
    this.chain++;
    try {
      s.value = evaluate(s.stmt.e, this.env(s.here));
      s.state = 'done';
      return s.value;
    } catch (e) {
      s.state = 'failed';
      if (!(e instanceof StmtError)) throw e;
      if (!e.silent) this.diags.add(s.stmt.loc, e.col, e.message);
      throw new StmtError('', col, true);
    } finally {
      this.chain--;
    }
  }

  /** Pass 2 evaluates every constant where it is defined, so unused ones are checked too. */
  checkEqu(name: string): void {
    const s = this.map.get(name);
    if (s?.k !== 'equ' || s.state !== 'new') return;
    try {
      this.equFinal(s, s.stmt.col);
    } catch (e) {
      if (!(e instanceof StmtError)) throw e;
    }
  }

  env(here: number): Env {
    return { here, symbol: (name, col) => this.value(name, col) };
  }
}
