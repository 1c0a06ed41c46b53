/**
 * "Assembly objects": a vamos object file is the unit's mx86 assembly, with one header line
 * that says where it came from. Linking assembles the concatenation of the objects
 * (docs/cc-toolchain.md), so a hand-written `.s` file is an object too, with no header.
 */
import { createHash } from 'node:crypto';

export const OBJECT_MAGIC = ';! vamos-object 1';

export interface ObjectFile {
  /** The name diagnostics use: the object's path, or the source's for an in-memory unit. */
  name: string;
  /** Assembly text (the header line, when there is one, included: it is a comment). */
  text: string;
  /** The prefix the compiler put on this unit's file-local symbols; '' for a `.s` file. */
  unit: string;
  /** The C source it was compiled from, when it was. */
  source?: string;
}

const UNIT_RE = /^u[0-9a-f]{8}\$/;

/**
 * A unit's prefix comes from a hash of its source path, so a build is reproducible and two
 * units get different prefixes unless they are the same file. `$` cannot occur in a C name,
 * so a prefixed symbol never collides with a user's.
 */
export function unitPrefixFor(sourcePath: string): string {
  return `u${createHash('sha256').update(sourcePath).digest('hex').slice(0, 8)}$`;
}

/** The name a symbol had in C: the unit prefix is an artefact of linking by concatenation. */
export function displayName(symbol: string): string {
  return UNIT_RE.test(symbol) ? symbol.slice(10) : symbol;
}

export function objectText(asm: string, unit: string, source: string): string {
  return `${OBJECT_MAGIC} unit=${unit} source=${JSON.stringify(source)}\n${asm.endsWith('\n') ? asm : asm + '\n'}`;
}

/** Reads an object file's text; anything without the header is plain assembly. */
export function parseObject(name: string, text: string): ObjectFile {
  if (!text.startsWith(OBJECT_MAGIC)) return { name, text, unit: '' };
  const nl = text.indexOf('\n');
  const header = text.slice(0, nl < 0 ? text.length : nl);
  const unit = /\bunit=(\S*)/.exec(header)?.[1] ?? '';
  const src = /\bsource=("(?:\\.|[^"\\])*")/.exec(header)?.[1];
  let source: string | undefined;
  try {
    source = src === undefined ? undefined : (JSON.parse(src) as string);
  } catch {
    source = undefined;
  }
  return { name, text, unit, source };
}

export function isObjectText(text: string): boolean {
  return text.startsWith(OBJECT_MAGIC);
}

export interface ObjectSymbols {
  /** Non-local labels and constants the object defines. */
  defines: string[];
  /** Every name it mentions outside strings and comments (a superset of its references). */
  mentions: Set<string>;
}

const LITERALS_AND_COMMENTS = /"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])+'|;.*|\/\/.*/g;
const DEFINITION = /^[ \t]*(?:([A-Za-z_][\w.$@?]*)[ \t]*:|\.equ[ \t]+([A-Za-z_][\w.$@?]*)|([A-Za-z_][\w.$@?]*)[ \t]*=)/gim;
const NAME = /[A-Za-z_][\w.$@?]*/g;

/** A lexical scan, enough to choose library members and to name multiply-defined symbols. */
export function scanSymbols(obj: ObjectFile): ObjectSymbols {
  const code = obj.text.replace(LITERALS_AND_COMMENTS, '');
  const defines: string[] = [];
  DEFINITION.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEFINITION.exec(code)) !== null) defines.push((m[1] ?? m[2] ?? m[3])!);
  const mentions = new Set<string>();
  NAME.lastIndex = 0;
  while ((m = NAME.exec(code)) !== null) mentions.add(m[0]);
  return { defines, mentions };
}
