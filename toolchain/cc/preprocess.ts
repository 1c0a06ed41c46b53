/**
 * The C preprocessor of `vamos cc`: C99's directives and macros, output as text with GCC-style
 * linemarkers (`# 12 "file.c"`) so the compiler reports positions in the original files.
 * docs/cc-toolchain.md lists what it supports.
 */
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { InputFileError } from '../../vmm/host-file.js';
import { cachedSplit, isDirective, libcIncludeDir, PREDEFINED, readOrUndefined } from './preprocess-env.js';
import { evalIf } from './preprocess-expr.js';
import { LineError, MAX_PP_ERRORS, PpError, Stop, type Diagnostic } from './preprocess-errors.js';
import { K, tokenize, joinTokens, unterminated, WORD_RE, type LogicalLine, type Tok } from './preprocess-lex.js';
import { Expander, parseDefine, sameDefinition, type Macro } from './preprocess-macro.js';

export { PpError } from './preprocess-errors.js';
export { libcIncludeDir } from './preprocess-env.js';

export interface PreprocessOptions {
  /** Name in linemarkers and diagnostics; relative includes are looked up beside it. */
  file?: string;
  /** `-I` directories, searched for both "..." and <...>. */
  includeDirs?: readonly string[];
  /** Searched after includeDirs; default: the libc's include directory. */
  systemDirs?: readonly string[];
  /** `-D` arguments: `NAME`, `NAME=value` or `NAME(args)=body`. */
  defines?: readonly string[];
  /** `-U` names, applied after the defines. */
  undefines?: readonly string[];
  /** Returns undefined for a file that does not exist. Default: the file system. */
  readFile?: (path: string) => string | undefined;
}

const MAX_INCLUDE_DEPTH = 64;
/** Up to this many blank lines are written out instead of a linemarker, as GCC does. */
const MAX_BLANK_RUN = 8;

interface Cond { active: boolean; taken: boolean; sawElse: boolean; line: number }

interface Frame {
  /** Name as it appears in linemarkers, __FILE__ and diagnostics (changed by #line). */
  name: string;
  path: string;
  lines: LogicalLine[];
  li: number;
  lineDelta: number;
}

/** Throws PpError for any problem in the input, and nothing else. */
export function preprocess(source: string, opts: PreprocessOptions = {}): string {
  const pp = new Preprocessor(opts);
  try {
    pp.run(source);
  } catch (e) {
    if (e instanceof PpError) throw e;
    if (!(e instanceof Stop)) {
      // A bug here must still reach the user as a diagnostic, never as a stack trace.
      pp.diags.push({ file: pp.fileName(), line: 0, col: 0, message: `internal preprocessor error: ${e instanceof Error ? e.message : String(e)}`, sourceLine: '' });
    }
  }
  if (pp.diags.length) throw new PpError(pp.diags);
  return pp.output();
}

/** `-D NAME[=VALUE]` as a macro; throws LineError. */
function defineFromCommandLine(d: string): Macro {
  const eq = d.indexOf('=');
  const name = eq < 0 ? d : d.slice(0, eq);
  // The name (and parameter list) alone first: an error in it must not be about the '1' that
  // -D NAME adds, which the user never typed.
  if (name.includes('(')) parseDefine(tokenize(name), name.length + 1);
  const text = eq < 0 ? `${d} 1` : `${name} ${d.slice(eq + 1)}`;
  return parseDefine(tokenize(text), text.length + 1);
}

/*
 * Every unit goes through the same headers, whose lines are shared objects (cachedSplit keeps
 * them per file text). A directive line's tokens and a #define's macro are computed once per
 * line object: neither is ever modified (expansion copies tokens; arrays are sliced, not
 * changed), so sharing them across units changes nothing but the time.
 */
const tokensOfLine = new WeakMap<LogicalLine, Tok[]>();
const macroOfLine = new WeakMap<LogicalLine, Macro>();

function directiveTokens(l: LogicalLine): Tok[] {
  let ts = tokensOfLine.get(l);
  if (ts === undefined) tokensOfLine.set(l, (ts = tokenize(l.text)));
  return ts;
}

/** The macro a #define line defines (throws LineError for a bad one, which is not kept). */
function defineOf(l: LogicalLine, args: Tok[], endCol: number): Macro {
  let m = macroOfLine.get(l);
  if (m === undefined) macroOfLine.set(l, (m = parseDefine(args, endCol)));
  return m;
}

let predefined: Macro[] | undefined;

/** The predefined macros, parsed once per process: macros are never changed after parsing. */
function predefinedMacros(): Macro[] {
  return (predefined ??= PREDEFINED.map(defineFromCommandLine));
}

class Preprocessor {
  readonly diags: Diagnostic[] = [];
  private readonly macros = new Map<string, Macro>();
  private readonly expander = new Expander(this.macros);
  private readonly once = new Set<string>();
  private readonly cache = new Map<string, string | undefined>();
  private readonly stack: Frame[] = [];
  private readonly out: string[] = [];
  private outName = '';
  private outLine = 0;
  private readonly readFile: (path: string) => string | undefined;
  private readonly includeDirs: readonly string[];
  private readonly systemDirs: readonly string[];

  constructor(private readonly opts: PreprocessOptions) {
    this.readFile = opts.readFile ?? readOrUndefined;
    this.includeDirs = opts.includeDirs ?? [];
    this.systemDirs = opts.systemDirs ?? [libcIncludeDir()];
    this.macros.set('__FILE__', {
      name: '__FILE__', variadic: false, body: [],
      dynamic: (at) => [{ k: K.String, text: JSON.stringify(this.top().name), col: at.col, space: at.space, hide: null }],
    });
    this.macros.set('__LINE__', {
      name: '__LINE__', variadic: false, body: [],
      dynamic: (at) => [{ k: K.Number, text: String(this.currentLine()), col: at.col, space: at.space, hide: null }],
    });
  }

  run(source: string): void {
    const file = this.opts.file ?? '<stdin>';
    for (const m of predefinedMacros()) this.macros.set(m.name, m);
    for (const d of this.opts.defines ?? []) this.commandLineDefine(d);
    for (const u of this.opts.undefines ?? []) this.macros.delete(u);
    this.file(file, file, source);
  }

  output(): string {
    return this.out.join('\n') + '\n';
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private currentLine(): number {
    const f = this.top();
    return f.lines[f.li]!.line + f.lineDelta;
  }

  fileName(): string {
    return this.stack[this.stack.length - 1]?.name ?? this.opts.file ?? '<stdin>';
  }

  error(line: LogicalLine | null, col: number, message: string, fatal = false): void {
    const f = this.stack[this.stack.length - 1];
    const file = f?.name ?? this.opts.file ?? '<stdin>';
    this.diags.push(line
      ? { file, line: line.line + (f?.lineDelta ?? 0), col: Math.max(1, col), message, sourceLine: line.text }
      : { file, line: 0, col: 0, message, sourceLine: '' });
    if (fatal) throw new Stop();
    if (this.diags.length >= MAX_PP_ERRORS) {
      this.diags.push({ file, line: 0, col: 0, message: 'too many errors; stopping here', sourceLine: '' });
      throw new Stop();
    }
  }

  private commandLineDefine(d: string): void {
    try {
      const m = defineFromCommandLine(d);
      this.macros.set(m.name, m);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      this.diags.push({ file: '<command line>', line: 0, col: 0, message: `-D ${d}: ${e.message}`, sourceLine: '' });
    }
  }

  private emit(frame: Frame, line: number, text: string): void {
    const n = line + frame.lineDelta;
    if (this.outName !== frame.name || n < this.outLine || n - this.outLine > MAX_BLANK_RUN) {
      this.out.push(`# ${n} ${JSON.stringify(frame.name)}`);
    } else {
      for (let k = this.outLine; k < n; k++) this.out.push('');
    }
    this.out.push(text);
    this.outName = frame.name;
    this.outLine = n + 1;
  }

  private file(name: string, path: string, source: string): void {
    const split = cachedSplit(source);
    const frame: Frame = { name, path, lines: split.lines, li: 0, lineDelta: 0 };
    this.stack.push(frame);
    this.outName = ''; // the first line written from this file brings a linemarker
    const conds: Cond[] = [];
    const lines = frame.lines;
    for (; frame.li < lines.length; frame.li++) {
      const l = lines[frame.li]!;
      const text = l.text;
      const active = conds.length === 0 || conds[conds.length - 1]!.active;
      if (isDirective(text)) {
        try {
          this.directive(l, conds, active);
        } catch (e) {
          if (!(e instanceof LineError)) throw e;
          this.error(l, e.col, e.message);
        }
        continue;
      }
      if (!active) continue;
      try {
        this.textLine(frame, l);
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
        this.error(l, e.col, e.message);
      }
    }
    if (split.openComment !== undefined) {
      // The logical line has the comment stripped: point at the `/*` in the physical line.
      const raw = split.openCommentAt;
      const at = raw !== undefined ? { text: raw.text, line: split.openComment } : lines.find((x) => x.line === split.openComment) ?? { text: '', line: split.openComment };
      this.error(at, raw?.col ?? 1, 'unterminated comment');
    }
    for (const c of conds) {
      const at = lines.find((x) => x.line === c.line)!;
      this.error(at, at.text.indexOf('#') + 1, 'unterminated conditional directive (#if without #endif)');
    }
    this.stack.pop();
  }

  private textLine(frame: Frame, l: LogicalLine): void {
    const text = l.text;
    if (!this.namesMacro(text)) {
      if (text.trim() !== '') this.emit(frame, l.line, text);
      return;
    }
    const ts = tokenize(text);
    for (const t of ts) if (unterminated(t)) throw new LineError(`missing terminating ${t.text.includes('"') ? '"' : "'"} character`, t.col);
    const startLine = l.line;
    const more = (): Tok[] | undefined => {
      const next = frame.lines[frame.li + 1];
      if (!next || isDirective(next.text)) return undefined;
      frame.li++;
      const ts = tokenize(next.text);
      if (ts.length) ts[0] = { ...ts[0]!, space: true };
      return ts;
    };
    const res = this.expander.expandLine(ts, more);
    this.emit(frame, startLine, joinTokens(res));
  }

  private namesMacro(text: string): boolean {
    WORD_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = WORD_RE.exec(text)) !== null) {
      const c = m[0].charCodeAt(0);
      // Letters, '_' and '$' start identifiers; literals and numbers are skipped whole.
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36) {
        if (this.macros.has(m[0])) return true;
      } else if ((c === 34 || c === 39) && (m[0].length < 2 || m[0].charCodeAt(m[0].length - 1) !== c || m[0].endsWith('\\' + m[0][0]))) {
        return true; // possibly unterminated: the slow path checks and reports it
      }
    }
    return false;
  }

  private directive(l: LogicalLine, conds: Cond[], active: boolean): void {
    const ts = directiveTokens(l);
    const nameTok = ts[1];
    const endCol = l.text.length + 1;
    const name = nameTok?.k === K.Ident ? nameTok.text : nameTok === undefined ? '' : nameTok.k === K.Number ? 'line' : '?';
    const args = ts.slice(2);
    const top = conds[conds.length - 1];
    switch (name) {
      case 'if': case 'ifdef': case 'ifndef': {
        if (!active) { conds.push({ active: false, taken: true, sawElse: false, line: l.line }); return; }
        const c: Cond = { active: false, taken: false, sawElse: false, line: l.line };
        conds.push(c);
        const v = name === 'if' ? this.condition(args, endCol, nameTok!) : this.ifdef(args, endCol, name) === (name === 'ifdef');
        c.active = c.taken = v;
        return;
      }
      case 'elif': {
        if (!top) throw new LineError('#elif without #if', nameTok!.col);
        if (top.sawElse) throw new LineError('#elif after #else', nameTok!.col);
        const outer = conds.length < 2 || conds[conds.length - 2]!.active;
        if (top.taken || !outer) { top.active = false; return; }
        top.active = top.taken = this.condition(args, endCol, nameTok!);
        return;
      }
      case 'else': {
        if (!top) throw new LineError('#else without #if', nameTok!.col);
        if (top.sawElse) throw new LineError('#else after #else', nameTok!.col);
        top.sawElse = true;
        const outer = conds.length < 2 || conds[conds.length - 2]!.active;
        top.active = outer && !top.taken;
        top.taken = true;
        return;
      }
      case 'endif':
        if (!top) throw new LineError('#endif without #if', nameTok!.col);
        conds.pop();
        return;
    }
    if (!active) return;
    switch (name) {
      case '': return; // the null directive
      case 'define': {
        const m = defineOf(l, args, endCol);
        const old = this.macros.get(m.name);
        if (old?.dynamic) throw new LineError(`'${m.name}' is a built-in macro and cannot be redefined`, args[0]!.col);
        if (old && !sameDefinition(old, m)) throw new LineError(`'${m.name}' redefined differently`, args[0]!.col);
        this.macros.set(m.name, m);
        return;
      }
      case 'undef': {
        const t = args[0];
        if (!t || t.k !== K.Ident) throw new LineError('#undef needs a macro name', t?.col ?? endCol);
        if (args.length > 1) throw new LineError('extra tokens after #undef name', args[1]!.col);
        if (this.macros.get(t.text)?.dynamic) throw new LineError(`'${t.text}' is a built-in macro and cannot be undefined`, t.col);
        this.macros.delete(t.text);
        return;
      }
      case 'include': return this.include(l, args, endCol);
      case 'error': {
        const hash = l.text.indexOf('error');
        throw new LineError(`#error ${l.text.slice(hash + 5).trim()}`, nameTok!.col);
      }
      case 'pragma':
        if (args[0]?.text === 'once') this.once.add(this.top().path);
        return; // other pragmas mean nothing to this compiler
      case 'line': return this.line(name === 'line' && nameTok!.k === K.Number ? ts.slice(1) : args, endCol);
    }
    throw new LineError(`unknown directive '#${nameTok!.text}'`, nameTok!.col);
  }

  private ifdef(args: Tok[], endCol: number, name: string): boolean {
    const t = args[0];
    if (!t || t.k !== K.Ident) throw new LineError(`#${name} needs a macro name`, t?.col ?? endCol);
    if (args.length > 1) throw new LineError(`extra tokens after #${name} name`, args[1]!.col);
    return this.macros.has(t.text);
  }

  private condition(args: Tok[], endCol: number, at: Tok): boolean {
    if (args.length === 0) throw new LineError(`#${at.text} with no expression`, endCol);
    // `defined` is decided before expansion, so a macro's own name is not replaced first.
    const pre: Tok[] = [];
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!;
      if (t.k !== K.Ident || t.text !== 'defined') { pre.push(t); continue; }
      const paren = args[i + 1]?.text === '(';
      const nameTok = args[i + (paren ? 2 : 1)];
      if (!nameTok || nameTok.k !== K.Ident) throw new LineError("'defined' needs a macro name", nameTok?.col ?? endCol);
      if (paren && args[i + 3]?.text !== ')') throw new LineError("missing ')' after 'defined'", args[i + 3]?.col ?? endCol);
      pre.push({ k: K.Number, text: this.macros.has(nameTok.text) ? '1' : '0', col: t.col, space: t.space, hide: null });
      i += paren ? 3 : 1;
    }
    return evalIf(this.expander.expandLine(pre), endCol);
  }

  private line(args: Tok[], endCol: number): void {
    const ex = this.expander.expandLine(args);
    const n = ex[0];
    if (!n || n.k !== K.Number || !/^\d+$/.test(n.text)) throw new LineError('#line needs a line number', n?.col ?? endCol);
    const f = this.top();
    const here = f.lines[f.li]!.line;
    f.lineDelta = Number(n.text) - here - 1;
    const name = ex[1];
    if (name) {
      if (name.k !== K.String) throw new LineError('#line file name must be a string', name.col);
      f.name = JSON.parse(name.text) as string;
    }
    this.outName = '';
  }

  private include(l: LogicalLine, args: Tok[], endCol: number): void {
    let spec = args;
    if (spec.length && spec[0]!.k !== K.String && spec[0]!.text !== '<') spec = this.expander.expandLine(spec);
    let name: string;
    let angled: boolean;
    const first = spec[0];
    if (!first) throw new LineError('#include expects "FILE" or <FILE>', endCol);
    if (first.k === K.String && first.text.startsWith('"')) {
      if (spec.length > 1) throw new LineError('extra tokens after #include file name', spec[1]!.col);
      name = first.text.slice(1, -1);
      angled = false;
    } else if (first.text === '<') {
      const raw = spec === args ? l.text.slice(first.col) : joinTokens(spec.slice(1));
      const close = raw.indexOf('>');
      if (close < 0) throw new LineError("missing '>' after #include <", first.col);
      if (raw.slice(close + 1).trim() !== '') throw new LineError('extra tokens after #include file name', first.col + close + 2);
      name = raw.slice(0, close).trim();
      angled = true;
    } else {
      throw new LineError('#include expects "FILE" or <FILE>', first.col);
    }
    if (name === '') throw new LineError('empty file name in #include', first.col);
    const here = this.top();
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      const chain = this.stack.map((f) => f.name);
      const at = chain.lastIndexOf(here.name, chain.length - 2);
      const cycle = at >= 0 ? ` (include cycle: ${chain.slice(at).join(' -> ')})` : '';
      throw new LineError(`#include nested more than ${MAX_INCLUDE_DEPTH} deep${cycle}`, first.col);
    }
    const dirs = angled
      ? [...this.includeDirs, ...this.systemDirs]
      : [dirname(here.path), ...this.includeDirs, ...this.systemDirs];
    const candidates = isAbsolute(name) ? [name] : dirs.map((d) => normalize(join(d, name)));
    for (const path of candidates) {
      let text: string | undefined;
      try {
        text = this.read(path);
      } catch (e) {
        if (e instanceof InputFileError) throw new LineError(`cannot read include file '${name}': ${e.code}`, first.col);
        throw e;
      }
      if (text === undefined) continue;
      if (this.once.has(path)) return;
      this.file(path, path, text);
      // Back in the includer: the next line needs a linemarker.
      this.outName = '';
      return;
    }
    throw new LineError(`cannot find include file '${name}'`, first.col);
  }

  private read(path: string): string | undefined {
    if (this.cache.has(path)) return this.cache.get(path);
    const t = this.readFile(path);
    this.cache.set(path, t);
    return t;
  }
}
