/**
 * Writing mx86 images. The bytes depend only on the image, so the same program always links to
 * the same file and tests can compare files byte for byte.
 */
import {
  DATA_ALIGN, HEADER_SIZE, MAGIC, NO_NAME, SEGMENT_ENTRY_SIZE, SYMBOL_ENTRY_SIZE, SYMBOL_KINDS,
  VERSION, type Image,
} from './format.js';
import { checkImage } from './read.js';

/** Throws ImageError (naming `source`) for an image the reader would refuse, except for RAM fit. */
export function writeImage(img: Image, source = 'image'): Uint8Array {
  checkImage(img, source);

  const strings = new StringTableBuilder();
  const segmentNames = img.segments.map((s) => (s.name === undefined ? NO_NAME : strings.add(s.name)));
  const symbolNames = img.symbols.map((s) => strings.add(s.name));
  const stringBytes = strings.bytes();

  const segmentTableOffset = HEADER_SIZE;
  const symbolTableOffset = segmentTableOffset + img.segments.length * SEGMENT_ENTRY_SIZE;
  const stringTableOffset = symbolTableOffset + img.symbols.length * SYMBOL_ENTRY_SIZE;
  let cursor = align(stringTableOffset + stringBytes.length);
  const dataOffsets = img.segments.map((s) => {
    const at = cursor;
    cursor = align(at + s.data.length);
    return at;
  });

  // Padding the file to the alignment keeps even an empty last segment's offset inside it.
  const out = new Uint8Array(cursor);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, HEADER_SIZE, true);
  view.setUint32(8, img.entry, true);
  view.setUint16(12, img.segments.length, true);
  view.setUint16(14, img.symbols.length, true);
  view.setUint32(16, segmentTableOffset, true);
  view.setUint32(20, symbolTableOffset, true);
  view.setUint32(24, stringTableOffset, true);
  view.setUint32(28, stringBytes.length, true);
  view.setUint32(32, 0, true);

  img.segments.forEach((s, i) => {
    const at = segmentTableOffset + i * SEGMENT_ENTRY_SIZE;
    const fields = [s.paddr, s.vaddr, dataOffsets[i]!, s.data.length, s.memSize, s.flags, segmentNames[i]!];
    fields.forEach((v, k) => view.setUint32(at + 4 * k, v, true));
    out.set(s.data, dataOffsets[i]!);
  });
  img.symbols.forEach((s, i) => {
    const at = symbolTableOffset + i * SYMBOL_ENTRY_SIZE;
    const fields = [symbolNames[i]!, s.value, s.size, SYMBOL_KINDS.indexOf(s.kind)];
    fields.forEach((v, k) => view.setUint32(at + 4 * k, v, true));
  });
  out.set(stringBytes, stringTableOffset);
  return out;
}

function align(n: number): number {
  return Math.ceil(n / DATA_ALIGN) * DATA_ALIGN;
}

/** Offset 0 holds the empty string, as in ELF; equal names share one copy, in first-use order. */
class StringTableBuilder {
  private readonly offsets = new Map<string, number>([['', 0]]);
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly encoder = new TextEncoder();

  add(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const at = this.size;
    const encoded = this.encoder.encode(name);
    this.chunks.push(encoded, new Uint8Array(1));
    this.size += encoded.length + 1;
    this.offsets.set(name, at);
    return at;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
