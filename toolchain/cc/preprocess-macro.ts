/**
 * Macro definitions and expansion, by the hide-set algorithm (Prosser's, the one C's rules
 * describe): every token carries the names of the macros it came out of, and a name in its own
 * hide set is not expanded again, which is what stops recursion without forbidding legitimate
 * re-expansion.
 */
import { K, joinTokens, tokenize, type Tok } from './preprocess-lex.js';
import { LineError } from './preprocess-errors.js';

export interface Macro {
  name: string;
  /** undefined for an object-like macro. */
  params?: string[];
  variadic: boolean;
  body: Tok[];
  /** Computed on use (__FILE__, __LINE__). */
  dynamic?: (at: Tok) => Tok[];
}

/** Bounds a macro that grows without end (each round doubles its text). */
const MAX_EXPANSION_TOKENS = 1_000_000;
/** Macro calls nested in arguments (`F(F(F(...)))`) deeper than this are an error, not a host stack overflow. */
export const MAX_MACRO_NESTING = 256;

export function sameDefinition(a: Macro, b: Macro): boolean {
  if (a.variadic !== b.variadic || (a.params === undefined) !== (b.params === undefined)) return false;
  if (a.params && a.params.join(',') !== b.params!.join(',')) return false;
  if (a.body.length !== b.body.length) return false;
  return a.body.every((t, i) => t.text === b.body[i]!.text && (i === 0 || t.space === b.body[i]!.space));
}

/** Parses what follows `#define`: the name, parameters and body. */
export function parseDefine(ts: Tok[], endCol: number): Macro {
  const nameTok = ts[0];
  if (!nameTok) throw new LineError('macro name missing', endCol);
  if (nameTok.k !== K.Ident) throw new LineError('macro names must be identifiers', nameTok.col);
  const name = nameTok.text;
  if (name === 'defined') throw new LineError("'defined' cannot be used as a macro name", nameTok.col);
  const open = ts[1];
  if (!open || open.text !== '(' || open.space) {
    if (open && !open.space) throw new LineError('ISO C99 requires whitespace after the macro name', open.col);
    return { name, variadic: false, body: ts.slice(1).map(clean) };
  }
  const params: string[] = [];
  let variadic = false;
  let i = 2;
  for (;;) {
    const t = ts[i++];
    if (!t) throw new LineError("missing ')' in macro parameter list", endCol);
    if (t.text === ')' && params.length === 0) break;
    if (t.text === '...') {
      variadic = true;
      params.push('__VA_ARGS__');
      if (ts[i]?.text !== ')') throw new LineError("missing ')' after '...'", ts[i]?.col ?? endCol);
      i++;
      break;
    }
    if (t.k !== K.Ident) throw new LineError(`expected a parameter name, found '${t.text}'`, t.col);
    if (params.includes(t.text)) throw new LineError(`duplicate macro parameter '${t.text}'`, t.col);
    params.push(t.text);
    const sep = ts[i++];
    if (sep?.text === ')') break;
    if (sep?.text !== ',') throw new LineError(`expected ',' or ')' in macro parameter list`, sep?.col ?? endCol);
  }
  const body = ts.slice(i).map(clean);
  body.forEach((t, j) => {
    if (t.text === '#' && !(body[j + 1] && params.includes(body[j + 1]!.text))) {
      throw new LineError("'#' is not followed by a macro parameter", t.col);
    }
  });
  if (body[0]?.text === '##' || body[body.length - 1]?.text === '##') {
    throw new LineError("'##' cannot appear at either end of a macro expansion", (body[0]?.text === '##' ? body[0] : body[body.length - 1])!.col);
  }
  return { name, params, variadic, body };
}

const clean = (t: Tok): Tok => ({ ...t, hide: null });

/**
 * Expands the macros in `input`. `more` supplies following tokens (the next lines) when a
 * function-like macro's name ends the input or its arguments are not closed yet.
 */
export class Expander {
  private budget = MAX_EXPANSION_TOKENS;
  private depth = 0;
  constructor(private readonly macros: Map<string, Macro>) {}

  /** Expands one line (or #if expression): the growth budget is per line, not per file. */
  expandLine(input: Tok[], more?: () => Tok[] | undefined): Tok[] {
    this.budget = MAX_EXPANSION_TOKENS;
    this.depth = 0;
    return this.expand(input, more);
  }

  private expand(input: Tok[], more?: () => Tok[] | undefined): Tok[] {
    const out: Tok[] = [];
    let ts = input;
    let i = 0;
    while (i < ts.length) {
      const t = ts[i]!;
      const m = t.k === K.Ident ? this.macros.get(t.text) : undefined;
      if (!m || (t.hide !== null && t.hide.has(t.text))) {
        out.push(t);
        i++;
        continue;
      }
      if (m.dynamic) {
        for (const d of m.dynamic(t)) out.push({ ...d, col: t.col, space: t.space });
        i++;
        continue;
      }
      if (m.params === undefined) {
        const hs = addHide(t.hide, m.name);
        const body = this.subst(m, [], hs, t);
        ts = body.concat(ts.slice(i + 1));
        i = 0;
        continue;
      }
      // A function-like macro's name without '(' after it is just a name.
      let j = i + 1;
      while (j >= ts.length && more) {
        const next = more();
        if (next === undefined) break;
        ts = ts.concat(next);
      }
      if (ts[j]?.text !== '(' || ts[j]!.k !== K.Punct) {
        out.push(t);
        i++;
        continue;
      }
      const args: Tok[][] = [[]];
      let depth = 0;
      j++;
      let close: Tok | undefined;
      for (;;) {
        if (j >= ts.length) {
          const next = more?.();
          if (next === undefined) throw new LineError(`unterminated argument list invoking macro '${m.name}'`, t.col);
          ts = ts.concat(next);
          continue;
        }
        const a = ts[j++]!;
        if (a.k === K.Punct) {
          if (a.text === '(') depth++;
          else if (a.text === ')') {
            if (depth === 0) { close = a; break; }
            depth--;
          } else if (a.text === ',' && depth === 0 && !(m.variadic && args.length === m.params.length)) {
            args.push([]);
            continue;
          }
        }
        args[args.length - 1]!.push(a);
      }
      const nparams = m.params.length;
      if (nparams === 0 && args.length === 1 && args[0]!.length === 0) args.length = 0;
      if (m.variadic && args.length === nparams - 1) args.push([]);
      if (args.length !== nparams) {
        throw new LineError(`macro '${m.name}' takes ${nparams - (m.variadic ? 1 : 0)}${m.variadic ? ' or more' : ''} argument${nparams === 1 ? '' : 's'}, but ${args.length} given`, t.col);
      }
      const hs = addHide(intersect(t.hide, close.hide), m.name);
      const body = this.subst(m, args, hs, t);
      ts = body.concat(ts.slice(j));
      i = 0;
    }
    return out;
  }

  private spend(n: number, m: Macro, at: Tok): void {
    this.budget -= n;
    if (this.budget < 0) throw new LineError(`macro '${m.name}' expands without end`, at.col);
  }

  private subst(m: Macro, args: Tok[][], hs: ReadonlySet<string>, at: Tok): Tok[] {
    const body = m.body;
    const params = m.params ?? [];
    const expanded = new Map<number, Tok[]>();
    const res: Tok[] = [];
    const here = (r: Tok, space = r.space): Tok => ({ ...r, col: at.col, space });
    const argOf = (t: Tok | undefined): number => (t && t.k === K.Ident ? params.indexOf(t.text) : -1);
    const vaIndex = m.variadic ? params.length - 1 : -1;
    for (let i = 0; i < body.length; i++) {
      const t = body[i]!;
      if (t.k === K.Punct && t.text === '#' && params.length > 0 && argOf(body[i + 1]) >= 0) {
        res.push({ k: K.String, text: stringize(args[argOf(body[i + 1])]!), col: at.col, space: t.space, hide: null });
        i++;
        continue;
      }
      if (t.k === K.Punct && t.text === '##' && i + 1 < body.length) {
        const next = body[i + 1]!;
        const a = argOf(next);
        const rhs = a >= 0 ? args[a]! : [next];
        i++;
        const lhs = res.pop()!;
        if (a >= 0 && a === vaIndex && lhs.text === ',' && lhs.k === K.Punct) {
          // GNU's `, ## __VA_ARGS__`: the comma goes when the variable arguments are empty.
          if (rhs.length > 0) { res.push(lhs); for (const r of rhs) res.push(here(r)); }
          continue;
        }
        if (rhs.length === 0) { res.push(lhs); continue; }
        if (lhs === PLACEMARKER) { for (const r of rhs) res.push(here(r)); continue; }
        res.push(paste(lhs, rhs[0]!, at));
        for (let k = 1; k < rhs.length; k++) res.push(here(rhs[k]!));
        continue;
      }
      const a = argOf(t);
      if (a >= 0) {
        const raw = args[a]!;
        if (body[i + 1]?.text === '##') {
          // An operand of ## is not expanded; an empty one is a placemarker.
          if (raw.length === 0) res.push(PLACEMARKER);
          else for (let k = 0; k < raw.length; k++) res.push(here(raw[k]!, k === 0 ? t.space : raw[k]!.space));
          continue;
        }
        let e = expanded.get(a);
        if (!e) {
          // Arguments are expanded first, by recursion: bound it, at the outermost call.
          if (this.depth >= MAX_MACRO_NESTING) throw new LineError(`macro calls nested more than ${MAX_MACRO_NESTING} deep in the arguments of '${m.name}'`, at.col);
          this.depth++;
          try {
            e = this.expand(raw);
          } finally {
            this.depth--;
          }
          expanded.set(a, e);
        }
        this.spend(e.length, m, at);
        for (let k = 0; k < e.length; k++) res.push(here(e[k]!, k === 0 ? t.space : e[k]!.space));
        continue;
      }
      res.push(here(t));
    }
    this.spend(res.length, m, at);
    const out: Tok[] = [];
    for (const r of res) if (r !== PLACEMARKER) out.push({ ...r, hide: union(r.hide, hs) });
    if (out.length > 0) out[0] = { ...out[0]!, space: at.space };
    return out;
  }
}

const PLACEMARKER: Tok = { k: K.Other, text: '', col: 0, space: false, hide: null };

function paste(a: Tok, b: Tok, at: Tok): Tok {
  const text = a.text + b.text;
  const ts = tokenize(text);
  if (ts.length !== 1 || ts[0]!.text !== text) {
    throw new LineError(`pasting "${a.text}" and "${b.text}" does not give a valid preprocessing token`, at.col);
  }
  return { ...ts[0]!, col: at.col, space: a.space, hide: null };
}

/** `#x`: the argument's spelling, with quotes and backslashes in its literals escaped. */
function stringize(arg: Tok[]): string {
  return '"' + joinTokens(arg.map((t, i) => ({
    ...t,
    space: i > 0 && t.space,
    text: t.k === K.String || t.k === K.Char ? t.text.replace(/[\\"]/g, (c) => '\\' + c) : t.text,
  }))) + '"';
}

function addHide(h: ReadonlySet<string> | null, name: string): ReadonlySet<string> {
  if (h === null) return new Set([name]);
  if (h.has(name)) return h;
  const s = new Set(h);
  s.add(name);
  return s;
}

function union(a: ReadonlySet<string> | null, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a === null || a === b) return b;
  let s: Set<string> | undefined;
  for (const x of a) if (!b.has(x)) (s ??= new Set(b)).add(x);
  return s ?? b;
}

function intersect(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): ReadonlySet<string> | null {
  if (a === null || b === null) return null;
  const s = new Set<string>();
  for (const x of a) if (b.has(x)) s.add(x);
  return s.size ? s : null;
}
