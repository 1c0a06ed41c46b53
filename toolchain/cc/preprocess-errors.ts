/**
 * Preprocessor diagnostics: the compiler's type and formatter, so that the driver prints every
 * stage's errors alike (`file:line:col: error: message`, the line, a caret).
 */
import { formatCcDiagnostic, type CcDiagnostic } from './errors.js';

export type Diagnostic = CcDiagnostic;

export const MAX_PP_ERRORS = 20;

export class PpError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatCcDiagnostic).join('\n'));
    this.name = 'PpError';
    this.diagnostics = diagnostics;
  }
}

/** Abandons the current directive or line; the preprocessor records it and carries on. */
export class LineError extends Error {
  constructor(message: string, readonly col: number) {
    super(message);
  }
}

/** Raised when the error budget is spent, or for a problem after which going on makes no sense. */
export class Stop extends Error {}
