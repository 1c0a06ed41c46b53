/**
 * The caret line shared by every toolchain diagnostic (assembler, preprocessor, compiler):
 * `file:line:col: error: message`, the source line, then a caret under the column.
 */

/** Tabs are kept so the caret lines up however the terminal expands them. */
export function caretLine(source: string, col: number): string {
  const lead = source.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return lead + ' '.repeat(Math.max(0, col - 1 - lead.length)) + '^';
}
