/**
 * Assembler diagnostics. Every problem the assembler finds becomes a Diagnostic carrying enough
 * to print the offending line with a caret, the way compilers do, so a user can fix it without
 * opening the file.
 */

import { caretLine } from '../diagnostic.js';

/** Where a statement came from. A statement produced by a macro also records the invocation. */
export interface Loc {
  file: string;
  /** Order in which the line was read (includes and expansions inline), to sort diagnostics. */
  seq?: number;
  /** 1-based; 0 means "the whole input" (layout and entry problems have no line). */
  line: number;
  /** The text of the line as the assembler saw it (after macro substitution). */
  text: string;
  /** Set when the line was produced by expanding a macro. */
  expansion?: { macro: string; at: Loc };
}

export interface Diagnostic {
  file: string;
  line: number;
  /** 1-based column in `source`. */
  col: number;
  message: string;
  source: string;
  note?: string;
}

export const MAX_ERRORS = 20;

export function formatDiagnostic(d: Diagnostic): string {
  if (d.line === 0) return `${d.file}: error: ${d.message}`;
  const out = [`${d.file}:${d.line}:${d.col}: error: ${d.message}`, d.source, caretLine(d.source, d.col)];
  if (d.note) out.push(d.note);
  return out.join('\n');
}

export class AsmError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'AsmError';
    this.diagnostics = diagnostics;
  }
}

/**
 * Thrown inside the assembler to abandon one statement; the statement loop turns it into a
 * Diagnostic and carries on with the next line, so that one run reports many problems.
 */
export class StmtError extends Error {
  /** `silent`: the problem was already reported where it arose; just abandon this statement. */
  constructor(message: string, readonly col: number, readonly silent = false) {
    super(message);
  }
}

/** Raised once the error budget is spent, to stop work nobody will read. */
class TooManyErrors extends Error {}

interface Entry {
  d: Diagnostic;
  seq: number;
}

export class Diagnostics {
  private readonly entries: Entry[];

  constructor(earlier?: Diagnostics) {
    this.entries = earlier ? [...earlier.entries] : [];
  }

  /** In source order (the passes find problems out of order); whole-input problems last. */
  get list(): Diagnostic[] {
    return [...this.entries].sort((a, b) => a.seq - b.seq).map((e) => e.d);
  }

  get count(): number {
    return this.entries.length;
  }

  /** A problem with the whole input rather than one line. */
  global(file: string, message: string): void {
    this.add({ file, line: 0, text: '' }, 0, message);
  }

  add(loc: Loc, col: number, message: string): void {
    const d: Diagnostic = { file: loc.file, line: loc.line, col, message, source: loc.text };
    if (loc.expansion) {
      const at = loc.expansion.at;
      d.note = `${at.file}:${at.line}: note: in expansion of macro '${loc.expansion.macro}'`;
    }
    this.entries.push({ d, seq: loc.line === 0 ? Infinity : loc.seq ?? 0 });
    if (this.entries.length >= MAX_ERRORS) throw new TooManyErrors();
  }

  /** Runs `f`, recording a StmtError it throws against `loc`. */
  guard(loc: Loc, f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof StmtError)) throw e;
      if (!e.silent) this.add(loc, e.col, e.message);
    }
  }

  static isTooMany(e: unknown): boolean {
    return e instanceof TooManyErrors;
  }
}
