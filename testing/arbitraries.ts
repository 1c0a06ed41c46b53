/**
 * fast-check arbitraries for descriptor chains (virtio 1.x §2.7.5): valid chains to drive a
 * device with, one-fault malformed chains whose expected error is known, and raw rings where
 * every field is arbitrary, for "whatever the guest writes, the device survives" properties.
 */
import fc from 'fast-check';
import type { ChainErrorKind } from '../devices/virtio/queue/chain.js';
import { DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../devices/virtio/queue/layout.js';
import type { TestMemory } from './memory.js';
import type { BufferSpec, MockQueue, RawDescriptor } from './mock-queue.js';

export interface ValidChainSpec {
  readable: number[];
  writable: number[];
  indirect: boolean;
}

/** A well-formed chain: readable lengths, then writable ones (at least one buffer). */
export function validChain(opts: { maxBuffers?: number; maxLen?: number; indirect?: boolean } = {}): fc.Arbitrary<ValidChainSpec> {
  const maxB = opts.maxBuffers ?? 4;
  const len = fc.integer({ min: 1, max: opts.maxLen ?? 256 });
  return fc
    .record({
      readable: fc.array(len, { maxLength: maxB }),
      writable: fc.array(len, { maxLength: maxB }),
      indirect: opts.indirect === undefined ? fc.boolean() : fc.constant(opts.indirect),
    })
    .filter((c) => c.readable.length + c.writable.length > 0);
}

export function chainBuffers(c: ValidChainSpec, fill = 0x5a): BufferSpec[] {
  return [
    ...c.readable.map((len) => ({ len, data: new Uint8Array(len).fill(fill) })),
    ...c.writable.map((len) => ({ len, writable: true })),
  ];
}

/** Addresses a raw descriptor may point at, resolved when the ring is written. */
export const ADDR_INDIRECT_TABLE = -1;
export const ADDR_DESC_TABLE = -2;

export interface MalformedChainSpec {
  /** The error `parseChain` must report. */
  expect: ChainErrorKind;
  /** Written at table indices 0.. ; `addr` may be a placeholder above. */
  descs: RawDescriptor[];
  indirectTable: RawDescriptor[];
  head: number;
}

const buf = (len: number, flags: number, next = 0): RawDescriptor => ({ addr: 0x200, len, flags, next });

/**
 * One chain with exactly one defect, for a queue of `size` entries (size >= 2), with the
 * indirect feature negotiated.
 */
export function malformedChain(size: number): fc.Arbitrary<MalformedChainSpec> {
  const n = fc.integer({ min: 1, max: size });
  const none: RawDescriptor[] = [];
  return fc.oneof(
    // A cycle: every descriptor has NEXT, the last points back into the chain.
    fc.tuple(n, fc.nat()).map(([k, back]) => ({
      expect: 'chain-too-long' as const,
      descs: Array.from({ length: k }, (_, i) => buf(8, VIRTQ_DESC_F_NEXT, i + 1 < k ? i + 1 : back % k)),
      indirectTable: none, head: 0,
    })),
    fc.tuple(n, fc.integer({ min: 0, max: 0xffff - size })).map(([k, over]) => ({
      expect: 'next-out-of-range' as const,
      descs: Array.from({ length: k }, (_, i) => buf(8, VIRTQ_DESC_F_NEXT, i + 1 < k ? i + 1 : size + over)),
      indirectTable: none, head: 0,
    })),
    fc.integer({ min: size, max: 0xffff }).map((head) => ({ expect: 'head-out-of-range' as const, descs: none, indirectTable: none, head })),
    fc.tuple(fc.integer({ min: 2, max: Math.min(size, 8) }), fc.integer({ min: 0x80000000, max: 0xffffffff })).map(([k, len]) => ({
      expect: 'length-overflow' as const,
      descs: Array.from({ length: k }, (_, i) => buf(len, i + 1 < k ? VIRTQ_DESC_F_NEXT : 0, i + 1)),
      indirectTable: none, head: 0,
    })),
    fc.integer({ min: 1, max: size - 1 }).map((w) => ({
      expect: 'readable-after-writable' as const,
      descs: Array.from({ length: w + 1 }, (_, i) => buf(8, (i < w ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE : 0), i + 1)),
      indirectTable: none, head: 0,
    })),
    fc.integer({ min: 1, max: Math.min(4, size) }).map((k) => ({
      expect: 'nested-indirect' as const,
      descs: [{ addr: ADDR_INDIRECT_TABLE, len: DESC_SIZE * k, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }],
      indirectTable: Array.from({ length: k }, (_, i) =>
        i + 1 < k ? buf(8, VIRTQ_DESC_F_NEXT, i + 1) : { addr: ADDR_INDIRECT_TABLE, len: DESC_SIZE, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }),
      head: 0,
    })),
    fc.integer({ min: 0, max: DESC_SIZE * size }).filter((l) => l === 0 || l % DESC_SIZE !== 0).map((len) => ({
      expect: 'indirect-bad-length' as const,
      descs: [{ addr: ADDR_INDIRECT_TABLE, len, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }], indirectTable: none, head: 0,
    })),
    fc.integer({ min: size + 1, max: 0x0fffffff }).map((entries) => ({
      expect: 'indirect-too-long' as const,
      descs: [{ addr: ADDR_INDIRECT_TABLE, len: DESC_SIZE * entries, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }], indirectTable: none, head: 0,
    })),
    fc.constant<MalformedChainSpec>({
      expect: 'indirect-with-next',
      descs: [{ addr: ADDR_INDIRECT_TABLE, len: DESC_SIZE, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, next: 1 }, buf(8, 0)],
      indirectTable: [buf(8, 0)], head: 0,
    }),
  );
}

/** Writes the spec into the queue's table (and a fresh indirect table) and makes its head available. */
export function writeMalformed(mq: MockQueue, m: MalformedChainSpec): void {
  const table = mq.tm.alloc(DESC_SIZE * Math.max(m.indirectTable.length, 1), 16);
  const resolve = (d: RawDescriptor): RawDescriptor =>
    d.addr === ADDR_INDIRECT_TABLE ? { ...d, addr: table } : d.addr === ADDR_DESC_TABLE ? { ...d, addr: mq.desc } : d;
  m.descs.forEach((d, i) => mq.writeDesc(i, resolve(d)));
  m.indirectTable.forEach((d, i) => mq.writeDescAt(table + DESC_SIZE * i, resolve(d)));
  mq.pushAvail(m.head);
}

export interface RawRingSpec {
  table: RawDescriptor[];
  indirectTable: RawDescriptor[];
  heads: number[];
  /** Added to heads.length for the published avail.idx: non-zero jumps more than a queue ahead. */
  extraAvail: number;
}

/**
 * Anything at all in the descriptor table, one indirect table and the avail ring, with fields
 * biased towards the interesting values (in and out of range, near 2^32, every flag mix).
 */
export function rawRing(size: number, tm: TestMemory): fc.Arbitrary<RawRingSpec> {
  const idx = fc.oneof(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: 0xffff }));
  const addr = fc.oneof(
    fc.integer({ min: 0x1000, max: Math.min(tm.size, 0x40000) - 0x1000 }),
    fc.constantFrom(ADDR_INDIRECT_TABLE, ADDR_DESC_TABLE, tm.size - 4, 0xfffff000),
  );
  const len = fc.oneof(fc.integer({ min: 0, max: 512 }), fc.constantFrom(DESC_SIZE, DESC_SIZE * 4, 17, 0xffffffff, 0x80000000));
  const desc = fc.record({ addr, len, flags: fc.integer({ min: 0, max: 7 }), next: idx });
  return fc.record({
    table: fc.array(desc, { minLength: size, maxLength: size }),
    indirectTable: fc.array(desc, { maxLength: 8 }),
    heads: fc.array(idx, { maxLength: size }),
    extraAvail: fc.oneof(fc.constant(0), fc.integer({ min: size + 1, max: 0xffff - size })),
  });
}

/** Writes a raw ring. Buffers at arbitrary addresses are below 0x40000: keep rings above it. */
export function writeRawRing(mq: MockQueue, r: RawRingSpec): void {
  const table = mq.tm.alloc(DESC_SIZE * Math.max(r.indirectTable.length, 1), 16);
  const resolve = (d: RawDescriptor): RawDescriptor =>
    d.addr === ADDR_INDIRECT_TABLE ? { ...d, addr: table, len: d.len } : d.addr === ADDR_DESC_TABLE ? { ...d, addr: mq.desc } : d;
  r.table.forEach((d, i) => mq.writeDesc(i, resolve(d)));
  r.indirectTable.forEach((d, i) => mq.writeDescAt(table + DESC_SIZE * i, resolve(d)));
  for (const h of r.heads) mq.pushAvail(h);
  if (r.extraAvail !== 0) mq.setAvailIdx(r.heads.length + r.extraAvail);
}
