/**
 * Macros are textual: a body line has its `\param` references replaced and is then assembled
 * like any other line. That keeps macros predictable and lets them expand to labels,
 * directives or other macros.
 */
import { StmtError } from './errors.js';

export interface Macro {
  name: string;
  params: string[];
  body: { text: string; line: number }[];
  file: string;
}

/**
 * Replaces `\name` (a parameter), `\@` (this expansion's number) and `\()` (nothing: a
 * separator, as in `\name\()_end`). Other backslashes, such as string escapes, stay as they are.
 */
export function substitute(text: string, m: Macro, args: readonly string[], id: number): string {
  return text.replace(/\\(@|\(\)|[A-Za-z_][A-Za-z0-9_]*)/g, (all, what: string) => {
    if (what === '@') return String(id);
    if (what === '()') return '';
    const k = m.params.indexOf(what);
    return k >= 0 ? args[k]! : all;
  });
}

/** Splits an invocation's argument text at commas outside brackets, parentheses and quotes. */
export function splitArgs(text: string, col: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '(' || c === '[') {
      depth++;
    } else if (c === ')' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (args.length > 0 || last !== '') args.push(last);
  if (args.some((a) => a === '')) throw new StmtError('empty macro argument', col);
  return args;
}

/** Parses the parameter list of `.macro name a, b` (commas or spaces between names). */
export function parseParams(text: string, col: number): string[] {
  const names = text.split(/[\s,]+/).filter((s) => s !== '');
  for (const n of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new StmtError(`bad macro parameter name '${n}'`, col);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new StmtError(`macro parameter '${dup}' appears twice`, col);
  return names;
}
