/**
 * `vamos as`: assembles one source file into an image file.
 */
import { writeFileSync } from 'node:fs';
import { readHostText } from '../../vmm/host-file.js';
import { ImageError } from '../image/format.js';
import { writeImage } from '../image/write.js';
import { AsmError, assemble, type AssembleOptions, type ListingLine } from './assemble.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const AS_USAGE = `usage: vamos as [options] file.s

options:
  -o FILE            write the image to FILE (default: the source name with .img)
  -I DIR             also look for .include files in DIR (may be repeated)
  --text-base N      address of .text (default 0x100000)
  --data-base N      address of .data (default: after .text, rounded up to 4096)
  --bss-base N       address of .bss (default: after .data, rounded up to 4096)
  --entry SYM        entry point symbol (default: _start, else the start of .text)
  --listing          print addresses and bytes next to each source line
  --help             show this help
`;

class Usage extends Error {}

/** Unsigned 32-bit numbers in decimal, 0x, 0o or 0b notation. */
export function parseNumberArg(text: string, flag: string): number {
  const m = /^(?:0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i.exec(text.replace(/_/g, ''));
  const v = m ? Number(m[0]) : NaN;
  if (!Number.isInteger(v) || v > 0xffffffff) throw new Usage(`${flag}: '${text}' is not a 32-bit unsigned number`);
  return v;
}

interface AsArgs {
  input: string;
  output?: string;
  opts: AssembleOptions;
  includeDirs: string[];
  listing: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): AsArgs {
  const a: AsArgs = { input: '', opts: {}, includeDirs: [], listing: false, help: false };
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) { inline = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (arg.startsWith('-I') && arg.length > 2) { inline = arg.slice(2); arg = '-I'; }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Usage(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--help': case '-h': a.help = true; break;
      case '-o': a.output = value(); break;
      case '-I': a.includeDirs.push(value()); break;
      case '--text-base': a.opts.textBase = parseNumberArg(value(), arg); break;
      case '--data-base': a.opts.dataBase = parseNumberArg(value(), arg); break;
      case '--bss-base': a.opts.bssBase = parseNumberArg(value(), arg); break;
      case '--entry': a.opts.entry = value(); break;
      case '--listing': a.listing = true; break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new Usage(`unknown option '${arg}'`);
        inputs.push(arg);
    }
    if (inline !== undefined && (arg === '--help' || arg === '-h' || arg === '--listing')) throw new Usage(`${arg} takes no value`);
  }
  if (a.help) return a;
  if (inputs.length !== 1) throw new Usage(inputs.length ? `one source file at a time (got ${inputs.length})` : 'no source file given');
  a.input = inputs[0]!;
  return a;
}

export function defaultOutput(input: string): string {
  return /\.(s|asm)$/i.test(input) ? input.replace(/\.(s|asm)$/i, '.img') : `${input}.img`;
}

export function asMain(argv: string[], io: CliIo): number {
  let args: AsArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    io.stderr(`vamos as: ${e.message}\n${AS_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(AS_USAGE);
    return 0;
  }
  let source: string;
  try {
    source = readHostText(args.input);
  } catch (e) {
    io.stderr(`vamos as: cannot read '${args.input}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const output = args.output ?? defaultOutput(args.input);
  try {
    const { image, listing } = assemble(source, { ...args.opts, file: args.input, includeDirs: args.includeDirs });
    let bytes: Uint8Array;
    try {
      bytes = writeImage(image, output);
    } catch (e) {
      // The image is not written yet: what is wrong is in the source, so name the source.
      if (!(e instanceof ImageError)) throw e;
      const why = e.message.startsWith(`${output}: `) ? e.message.slice(output.length + 2) : e.message;
      const empty = image.segments.every((seg) => seg.data.length === 0 && seg.memSize === 0);
      io.stderr(`vamos as: ${args.input}: ${empty ? 'nothing to assemble (no instructions or data); an image needs code at its entry point' : `cannot make an image: ${why}`}\n`);
      return 1;
    }
    writeFileSync(output, bytes);
    if (args.listing) io.stdout(formatListing(listing));
    return 0;
  } catch (e) {
    if (e instanceof AsmError || e instanceof ImageError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    if (e instanceof Error && 'code' in e) {
      io.stderr(`vamos as: cannot write '${output}': ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const LISTED_BYTES = 12;

/** One line per source line: address, the first bytes, the source text. */
export function formatListing(listing: readonly ListingLine[]): string {
  return listing.map((l) => {
    const shown = [...l.bytes.subarray(0, LISTED_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const more = l.size > LISTED_BYTES || (l.bytes.length === 0 && l.size > 0) ? ` +${l.size}` : '';
    const cols = `${l.address.toString(16).padStart(8, '0')}  ${(shown + more).padEnd(LISTED_BYTES * 3 + 8)}`;
    return `${cols}${l.source.trimEnd()}\n`;
  }).join('');
}
