/**
 * The mx86 image format ("MXI"): what the toolchain writes and the VMM loads.
 * docs/image-format.md describes every byte; this file is the single source of the numbers.
 */

/** Segment permission bits, numbered like ELF's p_flags so they read familiarly in dumps. */
export const SEG_R = 4;
export const SEG_W = 2;
export const SEG_X = 1;
export const SEG_FLAGS_MASK = SEG_R | SEG_W | SEG_X;

export interface Segment {
  name?: string;
  /** Where the segment lives once paging is on; the entry point is a virtual address. */
  vaddr: number;
  /** Where the loader puts it in guest RAM. */
  paddr: number;
  /** The bytes stored in the file (its "file size" is data.length). */
  data: Uint8Array;
  /** Bytes occupied in memory; the tail beyond data.length is zero-filled (bss). */
  memSize: number;
  flags: number;
}

export type SymbolKind = 'func' | 'object' | 'label';

export interface ImageSymbol {
  name: string;
  value: number;
  size: number;
  kind: SymbolKind;
}

export interface Image {
  entry: number;
  segments: Segment[];
  symbols: ImageSymbol[];
}

export const MAGIC = 'MXI1';
export const VERSION = 1;

/** Sizes of the fixed-size records, in bytes. */
export const HEADER_SIZE = 36;
export const SEGMENT_ENTRY_SIZE = 28;
export const SYMBOL_ENTRY_SIZE = 16;

/** Segment data starts on this boundary so a loader may copy it word by word. */
export const DATA_ALIGN = 4;

/** A segment name offset meaning "no name" (offset 0 is the empty string). */
export const NO_NAME = 0xffff_ffff;

/** The on-disk code of a symbol kind is its index here; append only. */
export const SYMBOL_KINDS: readonly SymbolKind[] = ['func', 'object', 'label'];

/**
 * Caps that no real image reaches but that bound the work a hostile file can ask of the reader.
 * A kernel or a linked C program has a handful of segments and a few thousand symbols.
 */
export const MAX_SEGMENTS = 64;
export const MAX_SYMBOLS = 16384;
/** Longest name in UTF-8 bytes, without its NUL. */
export const MAX_NAME_BYTES = 1024;

/**
 * Every refusal of an image. The message is one line, "<source>: <problem>: <where and what>",
 * so that the CLI can print it as is.
 */
export class ImageError extends Error {
  constructor(readonly source: string, problem: string) {
    super(`${oneLine(source)}: ${oneLine(problem)}`);
    this.name = 'ImageError';
  }
}

/** Names and file names come from untrusted bytes; control characters must not break the line. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
