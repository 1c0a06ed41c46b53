/**
 * Reading and checking mx86 images. Every refusal is an ImageError with a one-line message;
 * nothing else escapes readImage or validateImage, whatever the bytes.
 */
// The package's ESM entry ships no typings that NodeNext can find; its CommonJS build has both.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import {
  HEADER_SIZE, ImageError, MAGIC, MAX_NAME_BYTES, MAX_SEGMENTS, MAX_SYMBOLS, NO_NAME,
  SEGMENT_ENTRY_SIZE, SEG_FLAGS_MASK, SEG_X, SYMBOL_ENTRY_SIZE, SYMBOL_KINDS, VERSION, hex,
  type Image, type ImageSymbol, type Segment,
} from './format.js';

export { ImageError } from './format.js';

interface RawHeader {
  version: number;
  headerSize: number;
  entry: number;
  segmentCount: number;
  symbolCount: number;
  segmentTableOffset: number;
  symbolTableOffset: number;
  stringTableOffset: number;
  stringTableSize: number;
  flags: number;
}

interface RawSegment {
  paddr: number;
  vaddr: number;
  fileOffset: number;
  fileSize: number;
  memSize: number;
  flags: number;
  name: number;
}

interface RawSymbol {
  name: number;
  value: number;
  size: number;
  kind: number;
}

const headerParser = new Parser()
  .endianness('little')
  .seek(MAGIC.length)
  .uint16('version')
  .uint16('headerSize')
  .uint32('entry')
  .uint16('segmentCount')
  .uint16('symbolCount')
  .uint32('segmentTableOffset')
  .uint32('symbolTableOffset')
  .uint32('stringTableOffset')
  .uint32('stringTableSize')
  .uint32('flags');

const segmentEntry = new Parser()
  .endianness('little')
  .uint32('paddr')
  .uint32('vaddr')
  .uint32('fileOffset')
  .uint32('fileSize')
  .uint32('memSize')
  .uint32('flags')
  .uint32('name');

const symbolEntry = new Parser()
  .endianness('little')
  .uint32('name')
  .uint32('value')
  .uint32('size')
  .uint32('kind');

// Tables are handed over as exact slices, so "until eof" means "count entries".
const segmentTable = new Parser().array('entries', { type: segmentEntry, readUntil: 'eof' });
const symbolTable = new Parser().array('entries', { type: symbolEntry, readUntil: 'eof' });

/**
 * binary-parser throws RangeError and friends when it runs off the end. The lengths are checked
 * before each call, so this is a second line of defence, not the way truncation is reported.
 */
function parseWith<T>(parser: Parser, bytes: Uint8Array, source: string, what: string): T {
  try {
    return parser.parse(bytes) as T;
  } catch (e) {
    throw new ImageError(source, `unreadable ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function readImage(bytes: Uint8Array, source = 'image'): Image {
  const fail = (problem: string): never => {
    throw new ImageError(source, problem);
  };
  const fileSize = bytes.length;
  const needBytes = (what: string, start: number, length: number): void => {
    if (start + length > fileSize) {
      fail(`truncated: ${what} ends at byte ${start + length} but the file has ${fileSize} bytes`);
    }
  };

  checkMagic(bytes, fail);
  needBytes(`header (${HEADER_SIZE} bytes)`, 0, HEADER_SIZE);
  const h = parseWith<RawHeader>(headerParser, bytes.subarray(0, HEADER_SIZE), source, 'header');
  if (h.version !== VERSION) fail(`unsupported version ${h.version} (this reader knows version ${VERSION})`);
  if (h.headerSize !== HEADER_SIZE) {
    fail(`bad header: header size is ${h.headerSize} but version ${VERSION} headers are ${HEADER_SIZE} bytes`);
  }
  if (h.flags !== 0) fail(`bad header: reserved flags are ${hex(h.flags)} but must be 0`);
  if (h.segmentCount > MAX_SEGMENTS) fail(`too many segments: ${h.segmentCount} (the limit is ${MAX_SEGMENTS})`);
  if (h.symbolCount > MAX_SYMBOLS) fail(`too many symbols: ${h.symbolCount} (the limit is ${MAX_SYMBOLS})`);

  const segBytes = h.segmentCount * SEGMENT_ENTRY_SIZE;
  const symBytes = h.symbolCount * SYMBOL_ENTRY_SIZE;
  needBytes(`segment table (${h.segmentCount} entries of ${SEGMENT_ENTRY_SIZE} bytes at byte ${h.segmentTableOffset})`,
    h.segmentTableOffset, segBytes);
  needBytes(`symbol table (${h.symbolCount} entries of ${SYMBOL_ENTRY_SIZE} bytes at byte ${h.symbolTableOffset})`,
    h.symbolTableOffset, symBytes);
  needBytes(`string table (${h.stringTableSize} bytes at byte ${h.stringTableOffset})`,
    h.stringTableOffset, h.stringTableSize);

  const rawSegments = parseWith<{ entries: RawSegment[] }>(segmentTable,
    bytes.subarray(h.segmentTableOffset, h.segmentTableOffset + segBytes), source, 'segment table').entries;
  const rawSymbols = parseWith<{ entries: RawSymbol[] }>(symbolTable,
    bytes.subarray(h.symbolTableOffset, h.symbolTableOffset + symBytes), source, 'symbol table').entries;
  const strings = new StringTable(
    bytes.subarray(h.stringTableOffset, h.stringTableOffset + h.stringTableSize), fail);

  const segments = rawSegments.map((raw, i): Segment => {
    const segment: Segment = {
      vaddr: raw.vaddr,
      paddr: raw.paddr,
      data: bytes.subarray(raw.fileOffset, raw.fileOffset + raw.fileSize),
      memSize: raw.memSize,
      flags: raw.flags,
    };
    if (raw.name !== NO_NAME) segment.name = strings.get(raw.name, `segment ${i} name`);
    needBytes(`${segmentLabel(segment, i)} data (${raw.fileSize} bytes at byte ${raw.fileOffset})`,
      raw.fileOffset, raw.fileSize);
    return segment;
  });
  // Disjoint data means the copies below never need more memory than the file itself.
  const shared = findOverlap(rawSegments.map((r, index) => ({ start: r.fileOffset, size: r.fileSize, index })));
  if (shared) {
    const [a, b] = shared.map((e) =>
      `${segmentLabel(segments[e.index]!, e.index)} data (bytes ${e.start}..${e.start + e.size - 1})`);
    fail(`overlap: ${b} shares file bytes with ${a}`);
  }
  // Copies, so that the image neither pins nor aliases the caller's buffer.
  for (const s of segments) s.data = new Uint8Array(s.data);

  const symbols = rawSymbols.map((raw, i): ImageSymbol => {
    const name = strings.get(raw.name, `symbol ${i} name`);
    const kind = SYMBOL_KINDS[raw.kind];
    if (kind === undefined) {
      const known = SYMBOL_KINDS.map((k, code) => `${code} ${k}`).join(', ');
      fail(`bad symbol: symbol ${i} ${JSON.stringify(name)} has kind ${raw.kind} (known: ${known})`);
    }
    return { name, value: raw.value, size: raw.size, kind: kind! };
  });

  const image: Image = { entry: h.entry, segments, symbols };
  checkImage(image, source);
  return image;
}

function checkMagic(bytes: Uint8Array, fail: (problem: string) => never): void {
  const expected = new TextEncoder().encode(MAGIC);
  const found = bytes.subarray(0, expected.length);
  if (found.length < expected.length && expected.subarray(0, found.length).every((b, i) => b === found[i])) {
    return; // a prefix of the magic: the truncation check says it better
  }
  if (found.every((b, i) => b === expected[i]) && found.length === expected.length) return;
  const hexBytes = Array.from(found, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(found, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  fail(`bad magic: expected "${MAGIC}" but found ${hexBytes || 'nothing'}${found.length ? ` ("${text}")` : ''}`);
}

/** NUL-terminated UTF-8 strings addressed by their offset in the table. */
class StringTable {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly bytes: Uint8Array, private readonly fail: (problem: string) => never) {}

  get(offset: number, what: string): string {
    const size = this.bytes.length;
    if (offset >= size) {
      this.fail(`bad string: ${what} offset ${offset} is outside the string table (${size} bytes)`);
    }
    // The search is bounded so that many names pointing into one long run cost linear time.
    const window = this.bytes.subarray(offset, offset + MAX_NAME_BYTES + 1);
    const length = window.indexOf(0);
    if (length < 0) {
      this.fail(window.length > MAX_NAME_BYTES
        ? `bad string: ${what} at string-table offset ${offset} is longer than ${MAX_NAME_BYTES} bytes`
        : `bad string: ${what} at string-table offset ${offset} is not NUL-terminated before the table ends (${size} bytes)`);
    }
    try {
      return this.decoder.decode(window.subarray(0, length));
    } catch {
      return this.fail(`bad string: ${what} at string-table offset ${offset} is not valid UTF-8`);
    }
  }
}

function segmentLabel(segment: Segment, index: number): string {
  return segment.name === undefined ? `segment ${index}` : `segment ${index} ${JSON.stringify(segment.name)}`;
}

function range(start: number, size: number): string {
  return size === 0 ? `${hex(start)}, empty` : `${hex(start)}..${hex(start + size - 1)}`;
}

const isU32 = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff_ffff;
const TWO_32 = 2 ** 32;

/**
 * The checks that need no machine: number ranges (the types cannot say "u32"), names the file
 * format can carry, bss sizes, address overflow, physical overlap and the entry point.
 * readImage and writeImage both run them, so a writer never produces a file the reader refuses.
 */
export function checkImage(img: Image, source = 'image'): void {
  const fail = (problem: string): never => {
    throw new ImageError(source, problem);
  };
  if (img.segments.length > MAX_SEGMENTS) fail(`too many segments: ${img.segments.length} (the limit is ${MAX_SEGMENTS})`);
  if (img.symbols.length > MAX_SYMBOLS) fail(`too many symbols: ${img.symbols.length} (the limit is ${MAX_SYMBOLS})`);
  if (!isU32(img.entry)) fail(`bad entry: entry point ${img.entry} is not a 32-bit unsigned integer`);

  img.segments.forEach((s, i) => checkSegment(s, i, fail));
  img.symbols.forEach((s, i) => checkSymbol(s, i, fail));
  checkOverlap(img.segments, fail);

  const home = img.segments.find((s) => (s.flags & SEG_X) !== 0 && img.entry >= s.vaddr && img.entry < s.vaddr + s.memSize);
  if (!home) fail(`bad entry: entry point ${hex(img.entry)} is not inside an executable segment`);
}

function checkSegment(s: Segment, i: number, fail: (problem: string) => never): void {
  if (s.name !== undefined) checkName(s.name, `segment ${i} name`, fail);
  const label = segmentLabel(s, i);
  for (const field of ['paddr', 'vaddr', 'memSize', 'flags'] as const) {
    if (!isU32(s[field])) fail(`bad segment: ${label} ${field} ${s[field]} is not a 32-bit unsigned integer`);
  }
  if ((s.flags & ~SEG_FLAGS_MASK) !== 0) {
    fail(`bad segment: ${label} has unknown flag bits ${hex(s.flags & ~SEG_FLAGS_MASK)} (known: R=4 W=2 X=1)`);
  }
  if (s.memSize < s.data.length) {
    fail(`bad segment: ${label} memory size ${s.memSize} is smaller than its file size ${s.data.length}`);
  }
  for (const [field, what] of [['paddr', 'physical'], ['vaddr', 'virtual']] as const) {
    if (s[field] + s.memSize > TWO_32) {
      fail(`address overflow: ${label} at ${what} ${hex(s[field])} with memory size ${hex(s.memSize)} runs past 2^32`);
    }
  }
}

function checkSymbol(s: ImageSymbol, i: number, fail: (problem: string) => never): void {
  checkName(s.name, `symbol ${i} name`, fail);
  const label = `symbol ${i} ${JSON.stringify(s.name)}`;
  for (const field of ['value', 'size'] as const) {
    if (!isU32(s[field])) fail(`bad symbol: ${label} ${field} ${s[field]} is not a 32-bit unsigned integer`);
  }
  if (!SYMBOL_KINDS.includes(s.kind)) fail(`bad symbol: ${label} has kind ${JSON.stringify(s.kind)} (known: ${SYMBOL_KINDS.join(', ')})`);
}

/** What a NUL-terminated UTF-8 string table cannot carry. */
function checkName(s: string, what: string, fail: (problem: string) => never): void {
  if (s.includes('\0')) fail(`bad string: ${what} ${JSON.stringify(s)} contains a NUL character`);
  if (/\p{Cs}/u.test(s)) fail(`bad string: ${what} ${JSON.stringify(s)} contains a lone UTF-16 surrogate`);
  const bytes = new TextEncoder().encode(s).length;
  if (bytes > MAX_NAME_BYTES) fail(`bad string: ${what} is ${bytes} bytes long (the limit is ${MAX_NAME_BYTES})`);
}

interface Extent {
  start: number;
  size: number;
  index: number;
}

/** The first pair (in index order) of non-empty extents that share an address, if any. */
function findOverlap(extents: Extent[]): [Extent, Extent] | undefined {
  // Sweep in address order: an overlap exists iff an extent starts before the furthest end so far.
  const order = extents.filter((e) => e.size > 0).sort((a, b) => a.start - b.start || a.index - b.index);
  let furthest: Extent | undefined;
  for (const cur of order) {
    if (furthest && cur.start < furthest.start + furthest.size) {
      return furthest.index < cur.index ? [furthest, cur] : [cur, furthest];
    }
    if (!furthest || cur.start + cur.size > furthest.start + furthest.size) furthest = cur;
  }
  return undefined;
}

function checkOverlap(segments: Segment[], fail: (problem: string) => never): void {
  const pair = findOverlap(segments.map((s, index) => ({ start: s.paddr, size: s.memSize, index })));
  if (!pair) return;
  const [a, b] = pair.map((e) => `${segmentLabel(segments[e.index]!, e.index)} (physical ${range(e.start, e.size)})`);
  fail(`overlap: ${b} overlaps ${a}`);
}

/** checkImage plus what depends on the machine: every segment must lie inside guest RAM. */
export function validateImage(img: Image, layout: { ramSize: number }, source = 'image'): void {
  checkImage(img, source);
  img.segments.forEach((s, i) => {
    if (s.paddr + s.memSize > layout.ramSize) {
      throw new ImageError(source, `outside RAM: ${segmentLabel(s, i)} (physical ${range(s.paddr, s.memSize)}) ` +
        `ends at ${hex(s.paddr + s.memSize)} but RAM is ${hex(layout.ramSize)} bytes`);
    }
  });
}
