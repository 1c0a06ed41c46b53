import t, { type Test } from 'tap';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  HEADER_SIZE, MAX_NAME_BYTES, SEGMENT_ENTRY_SIZE, SEG_R, SEG_W, SEG_X, SYMBOL_ENTRY_SIZE, SYMBOL_KINDS,
  type Image, type ImageSymbol, type Segment,
} from '../../toolchain/image/format.js';
import { ImageError, readImage, validateImage } from '../../toolchain/image/read.js';
import { writeImage } from '../../toolchain/image/write.js';
import { loadImage } from '../../toolchain/image/load.js';

// Field offsets, as docs/image-format.md lists them.
const H = { version: 4, headerSize: 6, entry: 8, segmentCount: 12, symbolCount: 14, segmentTable: 16,
  symbolTable: 20, stringTable: 24, stringTableSize: 28, flags: 32 };
const S = { paddr: 0, vaddr: 4, fileOffset: 8, fileSize: 12, memSize: 16, flags: 20, name: 24 };
const Y = { name: 0, value: 4, size: 8, kind: 12 };

function baseImage(): Image {
  return {
    entry: 0x1004,
    segments: [
      { name: 'text', paddr: 0x1000, vaddr: 0x1000, data: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
        memSize: 16, flags: SEG_R | SEG_X },
      { name: 'data', paddr: 0x2000, vaddr: 0x2000, data: Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2),
        memSize: 0x100, flags: SEG_R | SEG_W },
      { paddr: 0x3000, vaddr: 0x3000, data: new Uint8Array(0), memSize: 0x10, flags: SEG_R | SEG_W },
    ],
    symbols: [
      { name: '_start', value: 0x1004, size: 12, kind: 'func' },
      { name: 'counter', value: 0x2000, size: 4, kind: 'object' },
      { name: 'loop', value: 0x1008, size: 0, kind: 'label' },
    ],
  };
}

function patched(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = writeImage(baseImage());
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes);
  return bytes;
}

const u32 = (v: DataView, at: number): number => v.getUint32(at, true);
const segAt = (v: DataView, i: number, field: number): number => u32(v, H.segmentTable) + i * SEGMENT_ENTRY_SIZE + field;
const symAt = (v: DataView, i: number, field: number): number => u32(v, H.symbolTable) + i * SYMBOL_ENTRY_SIZE + field;

function refuses(t: Test, fn: () => unknown, fragment: string, source = 'disk.img'): void {
  try {
    fn();
    t.fail(`expected an ImageError containing ${JSON.stringify(fragment)}`);
  } catch (e) {
    t.type(e, ImageError);
    const message = (e as Error).message;
    t.ok(message.startsWith(`${source}: `), `names the source: ${message}`);
    t.notMatch(message, /\n/, 'is one line');
    t.ok(message.includes(fragment), `${JSON.stringify(message)} contains ${JSON.stringify(fragment)}`);
  }
}

t.test('the base image round-trips and its layout matches the docs', (t) => {
  const bytes = writeImage(baseImage());
  const v = new DataView(bytes.buffer);
  t.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'MXI1');
  t.equal(v.getUint16(H.headerSize, true), HEADER_SIZE);
  t.equal(u32(v, H.segmentTable), HEADER_SIZE);
  t.equal(bytes.length % 4, 0);
  for (let i = 0; i < 3; i++) t.equal(u32(v, segAt(v, i, S.fileOffset)) % 4, 0, `segment ${i} data is aligned`);
  t.equal(u32(v, segAt(v, 2, S.name)), 0xffff_ffff, 'an unnamed segment has no string');
  t.strictSame(readImage(bytes, 'disk.img'), baseImage());
  t.end();
});

t.test('refusals', (t) => {
  const read = (bytes: Uint8Array) => () => readImage(bytes, 'disk.img');
  const valid = writeImage(baseImage());

  refuses(t, read(patched((_, b) => b.set([0x7f, 0x45, 0x4c, 0x46], 0))),
    'bad magic: expected "MXI1" but found 7f 45 4c 46 (".ELF")');
  refuses(t, read(Uint8Array.of(1, 2)), 'bad magic: expected "MXI1" but found 01 02');
  refuses(t, read(new Uint8Array(0)), 'truncated: header (36 bytes) ends at byte 36 but the file has 0 bytes');
  refuses(t, read(valid.slice(0, 20)), 'truncated: header (36 bytes) ends at byte 36 but the file has 20 bytes');
  refuses(t, read(patched((v) => v.setUint16(H.version, 2, true))), 'unsupported version 2');
  refuses(t, read(patched((v) => v.setUint16(H.headerSize, 40, true))), 'bad header: header size is 40');
  refuses(t, read(patched((v) => v.setUint32(H.flags, 1, true))), 'bad header: reserved flags are 0x1');

  refuses(t, read(patched((v) => v.setUint16(H.segmentCount, 65, true))), 'too many segments: 65 (the limit is 64)');
  refuses(t, read(patched((v) => v.setUint16(H.symbolCount, 20000, true))), 'too many symbols: 20000 (the limit is 16384)');

  refuses(t, read(patched((v) => v.setUint32(H.segmentTable, valid.length - 10, true))),
    `truncated: segment table (3 entries of 28 bytes at byte ${valid.length - 10}) ends at byte ${valid.length + 74}`);
  refuses(t, read(patched((v) => v.setUint32(H.symbolTable, 0xffff_fff0, true))),
    `truncated: symbol table (3 entries of 16 bytes at byte 4294967280) ends at byte 4294967328 but the file has ${valid.length} bytes`);
  refuses(t, read(patched((v) => v.setUint32(H.stringTableSize, 1 << 20, true))), 'truncated: string table (1048576 bytes at byte');

  const dataEnd = (() => {
    const v = new DataView(valid.buffer);
    return u32(v, segAt(v, 1, S.fileOffset)) + 8;
  })();
  refuses(t, read(valid.slice(0, dataEnd - 3)),
    `truncated: segment 1 "data" data (8 bytes at byte ${dataEnd - 8}) ends at byte ${dataEnd} but the file has ${dataEnd - 3} bytes`);
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 0, S.fileSize), 100_000, true))),
    'truncated: segment 0 "text" data (100000 bytes at byte');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.fileOffset), u32(v, segAt(v, 0, S.fileOffset)) + 8, true))),
    'overlap: segment 1 "data" data (bytes 208..215) shares file bytes with segment 0 "text" data (bytes 200..215)');

  refuses(t, read(patched((v) => v.setUint32(symAt(v, 0, Y.name), 9999, true))),
    'bad string: symbol 0 name offset 9999 is outside the string table');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.name), 9999, true))),
    'bad string: segment 1 name offset 9999 is outside the string table');
  refuses(t, read(patched((v) => v.setUint32(H.stringTableSize, u32(v, H.stringTableSize) - 1, true))),
    'bad string: symbol 2 name at string-table offset 26 is not NUL-terminated before the table ends (30 bytes)');
  refuses(t, read(patched((v, b) => b.set([0xff], u32(v, H.stringTable) + 1))),
    'bad string: segment 0 name at string-table offset 1 is not valid UTF-8');

  refuses(t, read(patched((v) => v.setUint32(segAt(v, 0, S.memSize), 8, true))),
    'bad segment: segment 0 "text" memory size 8 is smaller than its file size 16');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.flags), 0x9, true))),
    'bad segment: segment 1 "data" has unknown flag bits 0x8');
  refuses(t, read(patched((v) => v.setUint32(symAt(v, 1, Y.kind), 7, true))),
    'bad symbol: symbol 1 "counter" has kind 7 (known: 0 func, 1 object, 2 label)');

  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.paddr), 0x1008, true))),
    'overlap: segment 1 "data" (physical 0x1008..0x1107) overlaps segment 0 "text" (physical 0x1000..0x100f)');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 0, S.paddr), 0x3008, true))),
    'overlap: segment 2 (physical 0x3000..0x300f) overlaps segment 0 "text" (physical 0x3008..0x3017)');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.paddr), 0xffff_ff80, true))),
    'address overflow: segment 1 "data" at physical 0xffffff80 with memory size 0x100 runs past 2^32');
  refuses(t, read(patched((v) => v.setUint32(segAt(v, 1, S.vaddr), 0xffff_ff80, true))),
    'address overflow: segment 1 "data" at virtual 0xffffff80');

  refuses(t, read(patched((v) => v.setUint32(H.entry, 0x2000, true))),
    'bad entry: entry point 0x2000 is not inside an executable segment');
  refuses(t, read(patched((v) => v.setUint32(H.entry, 0x1010, true))),
    'bad entry: entry point 0x1010 is not inside an executable segment');

  const img = readImage(valid, 'disk.img');
  refuses(t, () => validateImage(img, { ramSize: 0x2080 }, 'disk.img'),
    'outside RAM: segment 1 "data" (physical 0x2000..0x20ff) ends at 0x2100 but RAM is 0x2080 bytes');
  validateImage(img, { ramSize: 0x3010 }, 'disk.img');
  t.end();
});

t.test('writeImage refuses what the format cannot carry or the reader would refuse', (t) => {
  const withSeg = (edit: Partial<Segment>): Image => {
    const img = baseImage();
    img.segments[0] = { ...img.segments[0]!, ...edit };
    return img;
  };
  const withSym = (edit: Partial<ImageSymbol>): Image => {
    const img = baseImage();
    img.symbols[0] = { ...img.symbols[0]!, ...edit };
    return img;
  };
  const write = (img: Image) => () => writeImage(img, 'kernel');
  refuses(t, write(withSym({ name: 'a\0b' })), 'bad string: symbol 0 name "a\\u0000b" contains a NUL character', 'kernel');
  refuses(t, write(withSym({ name: 'x\ud800' })), 'contains a lone UTF-16 surrogate', 'kernel');
  refuses(t, write(withSym({ name: 'n'.repeat(MAX_NAME_BYTES + 1) })), 'is 1025 bytes long (the limit is 1024)', 'kernel');
  refuses(t, write(withSym({ kind: 'data' as never })), 'has kind "data"', 'kernel');
  refuses(t, write(withSym({ value: 2 ** 32 })), 'value 4294967296 is not a 32-bit unsigned integer', 'kernel');
  refuses(t, write(withSeg({ paddr: -4 })), 'bad segment: segment 0 "text" paddr -4 is not a 32-bit unsigned integer', 'kernel');
  refuses(t, write(withSeg({ memSize: 1.5 })), 'memSize 1.5 is not', 'kernel');
  refuses(t, write(withSeg({ memSize: 4 })), 'memory size 4 is smaller than its file size 16', 'kernel');
  refuses(t, write(withSeg({ flags: SEG_R })), 'bad entry', 'kernel');
  refuses(t, write({ entry: 0, segments: [], symbols: [] }), 'bad entry: entry point 0x0', 'kernel');
  const many = baseImage();
  many.segments = Array.from({ length: 65 }, (_, i) => ({ paddr: i * 16, vaddr: i * 16, data: new Uint8Array(0), memSize: 16, flags: SEG_X }));
  refuses(t, write(many), 'too many segments: 65', 'kernel');
  t.end();
});

t.test('messages stay on one line whatever the names and sources hold', (t) => {
  const img = baseImage();
  img.segments[0]!.name = 'evil\nname\u2028';
  img.entry = 0x9999;
  refuses(t, () => writeImage(img, 'dir\n/disk.img'), 'bad entry', 'dir\\u000a/disk.img');
  const named = baseImage();
  named.segments[1]!.name = 'line\nbreak';
  named.segments[1]!.paddr = 0x1000;
  refuses(t, () => writeImage(named), 'overlap: segment 1 "line\\nbreak"', 'image');
  t.end();
});

t.test('loadImage copies data, zero-fills bss and leaves RAM alone on refusal', (t) => {
  const ram = new Uint8Array(0x4000).fill(0xaa);
  loadImage(baseImage(), ram);
  t.strictSame(ram.subarray(0x1000, 0x1010), baseImage().segments[0]!.data);
  t.strictSame(ram.subarray(0x2000, 0x2008), Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2));
  t.ok(ram.subarray(0x2008, 0x2100).every((b) => b === 0), 'bss is zeroed');
  t.ok(ram.subarray(0x3000, 0x3010).every((b) => b === 0), 'an all-bss segment is zeroed');
  t.equal(ram[0x2100], 0xaa, 'nothing past memSize is touched');
  t.equal(ram[0xfff], 0xaa, 'nothing before paddr is touched');

  const small = new Uint8Array(0x2080).fill(0xaa);
  refuses(t, () => loadImage(baseImage(), small, 'disk.img'), 'outside RAM: segment 1 "data"');
  t.ok(small.every((b) => b === 0xaa), 'a refused image writes nothing');
  t.end();
});

// ---- properties ----

const name = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/\0/g, ''));

const segmentShape = fc.record({
  name: fc.option(name, { nil: undefined }),
  data: fc.uint8Array({ maxLength: 40 }),
  bss: fc.nat({ max: 0x3000 }),
  gap: fc.nat({ max: 0x10_0000 }),
  vaddrSeed: fc.nat(),
  flags: fc.nat({ max: 7 }),
});

/** Valid images: physically disjoint segments (laid out with gaps, then shuffled), entry in an X segment. */
const validImage: fc.Arbitrary<Image> = fc
  .tuple(
    fc.array(segmentShape, { minLength: 1, maxLength: 6 }),
    fc.array(fc.record({ name, value: fc.nat({ max: 0xffff_ffff }), size: fc.nat({ max: 0xffff_ffff }),
      kind: fc.constantFrom(...SYMBOL_KINDS) }), { maxLength: 8 }),
    fc.nat(),
    fc.nat(),
  )
  .map(([shapes, symbols, entrySeed, shuffleSeed]) => {
    let cursor = 0;
    const segments = shapes.map((s, i): Segment => {
      // Segment 0 holds the entry point, so it is executable and not empty.
      const memSize = s.data.length + s.bss + (i === 0 ? 1 : 0);
      const paddr = cursor + s.gap;
      cursor = paddr + memSize;
      const seg: Segment = {
        vaddr: s.vaddrSeed % (2 ** 32 - memSize + 1),
        paddr, data: s.data, memSize, flags: i === 0 ? s.flags | SEG_X : s.flags,
      };
      if (s.name !== undefined) seg.name = s.name;
      return seg;
    });
    const first = segments[0]!;
    const entry = first.vaddr + (entrySeed % first.memSize);
    const order = segments.map((_, i) => i).sort((a, b) => ((a * 7919 + shuffleSeed) % 13) - ((b * 7919 + shuffleSeed) % 13) || a - b);
    // fc.record builds prototype-less objects; the reader builds plain ones.
    return { entry, segments: order.map((i) => segments[i]!), symbols: symbols.map((s) => ({ ...s })) };
  });

t.test('round trip: readImage(writeImage(x)) equals x, and writing is deterministic', (t) => {
  fc.assert(fc.property(validImage, (img) => {
    const bytes = writeImage(img);
    const back = readImage(bytes);
    if (!isDeepStrictEqual(back, img)) return false;
    const again = writeImage(back);
    return again.length === bytes.length && again.every((b, i) => b === bytes[i]);
  }), { numRuns: 300 });
  t.end();
});

/** Any outcome but a non-ImageError throw, or a slow answer, is fine. */
function onlyImageErrors(bytes: Uint8Array, ramSize: number): boolean {
  const started = performance.now();
  try {
    const img = readImage(bytes, 'fuzz.img');
    // What the reader accepts must survive the rest of the pipeline.
    const rewritten = readImage(writeImage(img), 'fuzz.img');
    if (JSON.stringify(rewritten.symbols) !== JSON.stringify(img.symbols)) return false;
    const ram = new Uint8Array(Math.min(ramSize, 1 << 16));
    loadImage(img, ram, 'fuzz.img');
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    if (e.message.includes('\n') || !e.message.startsWith('fuzz.img: ')) return false;
  }
  return performance.now() - started < 1000;
}

const header = (() => {
  const h = new Uint8Array(8);
  h.set(new TextEncoder().encode('MXI1'));
  new DataView(h.buffer).setUint16(4, 1, true);
  new DataView(h.buffer).setUint16(6, HEADER_SIZE, true);
  return h;
})();

t.test('fuzz: random bytes, random headers, corruptions and truncations throw only ImageError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (b, ram) => onlyImageErrors(b, ram)), { numRuns: 500 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (tail, ram) => {
    const b = new Uint8Array(header.length + tail.length);
    b.set(header);
    b.set(tail, header.length);
    return onlyImageErrors(b, ram);
  }), { numRuns: 1000 });
  fc.assert(fc.property(validImage, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(),
    (img, edits, ram) => {
      const b = writeImage(img);
      for (const [at, value] of edits) b[at % b.length] = value;
      return onlyImageErrors(b, ram);
    }), { numRuns: 1000 });
  fc.assert(fc.property(validImage, fc.nat(), fc.nat(), (img, cut, ram) => {
    const b = writeImage(img);
    return onlyImageErrors(b.slice(0, cut % (b.length + 1)), ram);
  }), { numRuns: 500 });
  // The loudest header values, where overflow and huge allocations would hide.
  fc.assert(fc.property(validImage, fc.nat({ max: HEADER_SIZE - 1 }), fc.constantFrom(0x00, 0xff, 0x7f, 0x80), (img, at, value) => {
    const b = writeImage(img);
    b[at] = value;
    return onlyImageErrors(b, 1 << 16);
  }), { numRuns: 500 });
  t.end();
});

t.test('hostile string tables cost linear time', (t) => {
  // 16384 names, each starting at a different point of one 1 MiB run with no NUL.
  const count = 16384;
  const strSize = 1 << 20;
  const symTable = HEADER_SIZE + SEGMENT_ENTRY_SIZE;
  const strTable = symTable + count * SYMBOL_ENTRY_SIZE;
  const b = new Uint8Array(strTable + strSize).fill(0x61, strTable);
  b.set(header);
  const v = new DataView(b.buffer);
  v.setUint16(H.segmentCount, 1, true);
  v.setUint16(H.symbolCount, count, true);
  v.setUint32(H.segmentTable, HEADER_SIZE, true);
  v.setUint32(H.symbolTable, symTable, true);
  v.setUint32(H.stringTable, strTable, true);
  v.setUint32(H.stringTableSize, strSize, true);
  v.setUint32(HEADER_SIZE + S.memSize, 1, true);
  v.setUint32(HEADER_SIZE + S.flags, SEG_X, true);
  v.setUint32(HEADER_SIZE + S.name, 0xffff_ffff, true);
  for (let i = 0; i < count; i++) {
    v.setUint32(symTable + i * SYMBOL_ENTRY_SIZE + Y.name, ((i * 63) % 1024), true);
  }
  // Every 1024th byte a NUL: names are valid but up to 1023 bytes long.
  for (let i = 1023; i < strSize; i += 1024) b[strTable + i] = 0;
  const started = performance.now();
  const img = readImage(b, 'big.img');
  t.equal(img.symbols.length, count);
  b[strTable + 1023] = 0x61;
  refuses(t, () => readImage(b, 'big.img'), 'is longer than 1024 bytes', 'big.img');
  t.ok(performance.now() - started < 5000, 'fast enough');
  t.end();
});
