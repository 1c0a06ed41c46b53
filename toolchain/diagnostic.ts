/**
 * The caret line shared by every toolchain diagnostic (assembler, preprocessor, compiler):
 * `file:line:col: error: message`, the source line, then a caret under the column.
 */

/** Tabs are kept so the caret lines up however the terminal expands them. */
export function caretLine(source: string, col: number): string {
  const lead = source.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return lead + ' '.repeat(Math.max(0, col - 1 - lead.length)) + '^';
}

/** The longest source line a diagnostic echoes whole; a longer one is cut around the column. */
export const MAX_SHOWN_LINE = 200;

/**
 * The source line as a diagnostic shows it, and the column within it: a line longer than
 * MAX_SHOWN_LINE (a generated file, a megabyte identifier) becomes a window around the column,
 * marked with `...` where it was cut, so that one error stays a few lines of terminal.
 */
export function shownLine(source: string, col: number): { text: string; col: number } {
  if (source.length <= MAX_SHOWN_LINE) return { text: source, col };
  const half = MAX_SHOWN_LINE / 2;
  const start = Math.max(0, Math.min(col - 1 - half, source.length - MAX_SHOWN_LINE));
  const end = Math.min(source.length, start + MAX_SHOWN_LINE);
  const head = start > 0 ? '...' : '';
  const tail = end < source.length ? '...' : '';
  return { text: head + source.slice(start, end) + tail, col: col - start + head.length };
}
