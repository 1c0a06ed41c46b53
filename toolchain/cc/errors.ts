/** Compiler diagnostics: every problem, including a compiler bug, reaches the user in this form. */
import { caretLine, shownLine } from '../diagnostic.js';

export interface CcDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  /** The line as the compiler saw it (after preprocessing), for the caret display. */
  sourceLine: string;
}

/** `file:line:col: error: message`, the source line, and a caret under the column. */
export function formatCcDiagnostic(d: CcDiagnostic): string {
  const head = d.line > 0 ? `${d.file}:${d.line}:${d.col}: error: ${d.message}` : `${d.file}: error: ${d.message}`;
  if (d.line <= 0 || d.sourceLine === '') return head;
  const shown = shownLine(d.sourceLine, d.col);
  return `${head}\n${shown.text}\n${caretLine(shown.text, shown.col)}`;
}

export class CcError extends Error {
  readonly diagnostics: CcDiagnostic[];
  constructor(diagnostics: CcDiagnostic[]) {
    super(diagnostics.map(formatCcDiagnostic).join('\n'));
    this.name = 'CcError';
    this.diagnostics = diagnostics;
  }
}

/** Where a token came from; `src` is the index of the physical line in the compiler's input. */
export interface Loc {
  file: string;
  line: number;
  col: number;
  src: number;
}

/** Thrown inside the compiler for a user error at a location; compile() turns it into CcError. */
export class LocError extends Error {
  constructor(readonly loc: Loc | undefined, message: string) {
    super(message);
  }
}

export function fail(loc: Loc | undefined, message: string): never {
  throw new LocError(loc, message);
}
