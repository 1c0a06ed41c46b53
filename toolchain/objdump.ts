/**
 * `vamos objdump`: what is in an image — header, segments, symbols, and the disassembly of its
 * executable segments in the syntax `vamos as` reads back.
 */
import { readHostFile } from '../vmm/host-file.js';
import { ImageError, SEG_R, SEG_W, SEG_X, oneLine, type Image, type ImageSymbol, type Segment } from './image/format.js';
import { readImage } from './image/read.js';
import { disassemble } from '../vmm/isa/disasm.js';
import type { CliIo } from './as/cli.js';

export const OBJDUMP_USAGE = `usage: vamos objdump [options] file.img

options:
  --syms    also print the symbol table
  --help    show this help
`;

const h8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function flagText(f: number): string {
  return (f & SEG_R ? 'r' : '-') + (f & SEG_W ? 'w' : '-') + (f & SEG_X ? 'x' : '-');
}

const segName = (s: Segment, i: number): string => (s.name !== undefined ? oneLine(s.name) : `#${i}`);

export function describeHeader(img: Image): string {
  const rows = img.segments.map((s, i) =>
    `  ${segName(s, i).padEnd(10)} ${h8(s.vaddr)}  ${h8(s.paddr)}  ${h8(s.data.length)}  ${h8(s.memSize)}  ${flagText(s.flags)}`);
  return [
    `entry ${h8(img.entry)}`,
    `segments:`,
    `  ${'name'.padEnd(10)} ${'vaddr'.padEnd(10)}  ${'paddr'.padEnd(10)}  ${'filesz'.padEnd(10)}  ${'memsz'.padEnd(10)}  flags`,
    ...rows,
  ].join('\n') + '\n';
}

export function describeSymbols(img: Image): string {
  const rows = [...img.symbols].sort((a, b) => a.value - b.value)
    .map((s) => `  ${h8(s.value)}  ${h8(s.size)}  ${s.kind.padEnd(6)}  ${oneLine(s.name)}`);
  return [`symbols:`, `  ${'value'.padEnd(10)}  ${'size'.padEnd(10)}  kind    name`, ...rows].join('\n') + '\n';
}

const BYTES_COLUMN = 12 * 3 - 1;

function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Linear sweep of each executable segment, restarted at every symbol, so that data placed in
 * .text (a string between functions) does not throw the decoding of the code after it off.
 */
export function disassembleImage(img: Image): string {
  const out: string[] = [];
  img.segments.forEach((s, i) => {
    if (!(s.flags & SEG_X)) return;
    out.push(`Disassembly of ${segName(s, i)} (${h8(s.vaddr)}, ${s.data.length} bytes):`, '');
    const start = s.vaddr;
    const end = s.vaddr + s.data.length;
    const at = new Map<number, ImageSymbol[]>();
    for (const sym of img.symbols) {
      if (sym.value >= start && sym.value < end) at.set(sym.value, [...(at.get(sym.value) ?? []), sym]);
    }
    const cuts = [start, ...[...at.keys()].filter((a) => a > start).sort((a, b) => a - b), end];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const [a, b] = [cuts[k]!, cuts[k + 1]!];
      for (const sym of at.get(a) ?? []) out.push(`<${oneLine(sym.name)}>:`);
      const code = s.data.subarray(a - start, b - start);
      let done = 0;
      for (const l of disassemble(code, a)) {
        out.push(`  ${l.address.toString(16).padStart(8, '0')}:  ${hexBytes(l.bytes).padEnd(BYTES_COLUMN)}  ${l.text}`);
        done += l.bytes.length;
      }
      if (done < code.length) {
        const rest = code.subarray(done);
        out.push(`  ${(a + done).toString(16).padStart(8, '0')}:  ${hexBytes(rest).padEnd(BYTES_COLUMN)}  .byte ${[...rest].map((x) => `0x${x.toString(16)}`).join(', ')}`);
      }
    }
    out.push('');
  });
  return out.join('\n');
}

interface ObjdumpArgs {
  file: string;
  syms: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): ObjdumpArgs | string {
  const a: ObjdumpArgs = { file: '', syms: false, help: false };
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') a.help = true;
    else if (arg === '--syms' || arg === '-t') a.syms = true;
    else if (arg.startsWith('-') && arg !== '-') return `unknown option '${arg}'`;
    else files.push(arg);
  }
  if (a.help) return a;
  if (files.length !== 1) return files.length ? `one image at a time (got ${files.length})` : 'no image file given';
  a.file = files[0]!;
  return a;
}

export function objdumpMain(argv: string[], io: CliIo): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`vamos objdump: ${args}\n${OBJDUMP_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(OBJDUMP_USAGE);
    return 0;
  }
  let bytes: Uint8Array;
  try {
    bytes = readHostFile(args.file);
  } catch (e) {
    io.stderr(`vamos objdump: cannot read '${oneLine(args.file)}': ${oneLine((e as NodeJS.ErrnoException).code ?? (e as Error).message)}\n`);
    return 1;
  }
  let img: Image;
  try {
    img = readImage(bytes, args.file);
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    io.stderr(`vamos objdump: ${oneLine(e.message)}\n`);
    return 1;
  }
  let text = `${oneLine(args.file)}: mx86 image\n${describeHeader(img)}\n`;
  if (args.syms) text += `${describeSymbols(img)}\n`;
  text += disassembleImage(img);
  io.stdout(text);
  return 0;
}
