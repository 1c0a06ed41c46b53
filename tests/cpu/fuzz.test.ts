/**
 * Random guest code: whatever the bytes, `run(budget)` returns a well-formed exit record and
 * never throws a host exception or hangs, and the guest reaches memory only through RAM or an
 * MMIO exit (the ROM and the memory object itself are never altered behind the VMM's back).
 */
import t from 'tap';
import fc from 'fast-check';
import { EXIT_REASONS, type VmExit } from '../../vmm/exits.js';
import { ISA, type InsnDef } from '../../vmm/isa/table.js';
import { encode, wordsToBytes, type Operand } from '../../vmm/isa/encoding.js';
import { ROM_SIZE } from '../../vmm/memory.js';
import { CODE, KSTACK, Machine, PTE, STACK } from './harness.js';

const KNOWN = new Set<string>(EXIT_REASONS);
const ROUNDS = 25;
const BUDGET = 400;

/** Checks the shape of an exit record; returns a complaint or null. */
function malformed(x: VmExit, m: Machine): string | null {
  if (!x || typeof x !== 'object' || !KNOWN.has(x.reason)) return `unknown exit ${JSON.stringify(x)}`;
  const u32 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
  switch (x.reason) {
    case 'io':
      if (!Number.isInteger(x.port) || x.port < 0 || x.port > 0xffff) return `io port ${x.port}`;
      if (![1, 2, 4].includes(x.size) || typeof x.write !== 'boolean' || !u32(x.value)) return `io ${JSON.stringify(x)}`;
      if (x.value >= 2 ** (8 * x.size)) return `io value wider than its size ${JSON.stringify(x)}`;
      return null;
    case 'mmio':
      if (!u32(x.address) || ![1, 2, 4].includes(x.size) || typeof x.write !== 'boolean' || !u32(x.value)) return `mmio ${JSON.stringify(x)}`;
      if (x.value >= 2 ** (8 * x.size)) return `mmio value wider than its size ${JSON.stringify(x)}`;
      // RAM is never an exit; writes outside RAM always are.
      if (m.mem.isRam(x.address, x.size)) return `mmio exit for RAM ${JSON.stringify(x)}`;
      return null;
    case 'vmcall': return x.cpl === 0 || x.cpl === 3 ? null : `vmcall cpl ${x.cpl}`;
    case 'cpuid': return u32(x.leaf) ? null : `cpuid leaf ${x.leaf}`;
    case 'shutdown': return typeof x.cause === 'string' && x.cause.length > 0 ? null : 'shutdown without a cause';
    default: return Object.keys(x).length === 1 ? null : `extra fields ${JSON.stringify(x)}`;
  }
}

/** Random operands for an entry (any register, any field value the encoding allows). */
function randomInsn(d: InsnDef, r: () => number): number[] {
  const ops = d.operands.map((k): Operand => {
    switch (k) {
      case 'r': return { kind: 'r', reg: r() & 7 };
      case 'c': return { kind: 'c', cr: [0, 2, 3, r() & 7][r() & 3]! };
      case 'm': {
        const hasIndex = (r() & 1) === 1;
        return { kind: 'm', base: r() & 1 ? r() & 7 : null, index: hasIndex ? r() & 7 : null, scale: hasIndex ? ([1, 2, 4, 8] as const)[r() & 3]! : 1, disp: r() | 0 };
      }
      case 'u5': return { kind: k, value: r() & 31 };
      case 'u8': return { kind: k, value: r() & 255 };
      case 'p16': return { kind: k, value: r() & 0xffff };
      case 'i': return { kind: k, value: r() | 0 };
      case 'rel': return { kind: k, value: ((r() % 64) - 32) * 4 };
    }
  });
  return encode({ def: d, operands: ops });
}

/** Code: raw random words mixed with random valid instructions (so execution gets somewhere). */
const codeArb = fc.tuple(
  fc.uint8Array({ minLength: 4, maxLength: 256 }),
  fc.array(fc.tuple(fc.nat(ISA.length - 1), fc.array(fc.nat(), { minLength: 12, maxLength: 12 })), { maxLength: 48 }),
  fc.boolean(),
).map(([raw, insns, interleave]) => {
  const words: number[] = [];
  const rawWords = Array.from({ length: raw.length >> 2 }, (_, k) => raw[4 * k]! | (raw[4 * k + 1]! << 8) | (raw[4 * k + 2]! << 16) | (raw[4 * k + 3]! << 24));
  const valid = insns.map(([i, seed]) => { let k = 0; return randomInsn(ISA[i]!, () => seed[k++ % seed.length]!); });
  if (interleave) {
    const n = Math.max(rawWords.length, valid.length);
    for (let k = 0; k < n; k++) {
      if (k < valid.length) words.push(...valid[k]!);
      if (k < rawWords.length && k % 4 === 0) words.push(rawWords[k]!);
    }
  } else {
    for (const v of valid) words.push(...v);
    words.push(...rawWords);
  }
  return wordsToBytes(words);
});

/** Register values: mostly inside RAM (so loads and stores land), sometimes anywhere. */
const regArb = fc.oneof(
  fc.integer({ min: 0, max: (1 << 20) - 1 }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 4, STACK, CODE, 0xd0000000, 0xfffffffc, 0xffff0000),
);
const regsArb = fc.array(regArb, { minLength: 8, maxLength: 8 });

type Mode = { paging: boolean; ring3: boolean; idt: 'none' | 'stubs' | 'code' };

const ROM_PATTERN = new Uint8Array(ROM_SIZE).map((_, k) => (k * 7 + 3) & 0xff);

function setUp(mode: Mode, code: Uint8Array, regs: number[], pteNoise: number[]): Machine {
  const m = new Machine();
  m.mem.rom.set(ROM_PATTERN);
  m.load(CODE, code);
  if (mode.idt !== 'none') {
    m.installTraps();
    // Handlers that are the random code itself keep the fuzzing going at ring 0.
    if (mode.idt === 'code') for (let v = 0; v < 256; v++) m.gate(v, CODE + 4 * (v % Math.max(1, code.length >> 2)), { dpl: v & 1 ? 3 : 0 });
  }
  if (mode.paging) {
    const pt = m.paging();
    // Some pages read-only, supervisor-only or absent (never the code, stubs, IDT or kernel stack).
    for (const n of pteNoise) {
      const page = ((n >>> 3) % 256) * 0x1000;
      if (page === (CODE & ~0xfff) || page < 0x3000 || page === KSTACK - 0x1000 || page >= 0x80000) continue;
      pt.map(page, page, [0, PTE.P, PTE.P | PTE.RW, PTE.P | PTE.US][n & 3]!);
    }
  }
  regs.forEach((v, k) => { m.cpu.regs[k] = v; });
  if (mode.ring3) m.cpu.setPrivilege(3);
  return m;
}

/** Drives the vCPU like a VMM would, answering every exit; returns a complaint or null. */
function drive(m: Machine, answers: number[]): string | null {
  const bufs = [m.mem.ram.buffer.byteLength, m.mem.rom.length];
  for (let k = 0; k < ROUNDS; k++) {
    let x: VmExit;
    const start = performance.now();
    try {
      x = m.run(BUDGET);
    } catch (e) {
      return `host exception ${(e as Error)?.stack ?? String(e)}`;
    }
    // A few hundred instructions take microseconds; a second means the vCPU is spinning.
    if (performance.now() - start > 1000) return `run(${BUDGET}) took ${Math.round(performance.now() - start)} ms`;
    const bad = malformed(x, m);
    if (bad) return bad;
    const a = answers[k % answers.length]!;
    if (x.reason === 'shutdown') break;
    if (x.reason === 'io' && !x.write) m.cpu.completeIo(a);
    // Sometimes the VMM re-enters without answering a read: the access simply exits again.
    if (x.reason === 'mmio' && !x.write && (a & 3) !== 0) m.cpu.completeMmioRead(a);
    if ((x.reason === 'hlt' || x.reason === 'preemption') && m.cpu.interruptible && (a & 1)) {
      try { m.cpu.injectInterrupt(32 + (a >>> 1) % 16); } catch (e) { return `injectInterrupt threw ${String(e)}`; }
    }
    if ((x.reason === 'hlt' || x.reason === 'preemption') && !m.cpu.interruptible && (a & 2)) m.cpu.wantInterruptWindow = true;
    if (x.reason === 'interrupt-window') {
      m.cpu.wantInterruptWindow = false;
      if (!m.cpu.interruptible) return 'interrupt-window exit while not interruptible';
      m.cpu.injectInterrupt(32);
    }
  }
  if (m.mem.ram.buffer.byteLength !== bufs[0] || m.mem.rom.length !== bufs[1]) return 'memory resized';
  for (let k = 0; k < ROM_SIZE; k++) if (m.mem.rom[k] !== ROM_PATTERN[k]) return `ROM byte 0x${k.toString(16)} changed`;
  const eip = m.cpu.eip;
  if (!Number.isInteger(eip) || eip < 0 || eip > 0xffffffff) return `eip ${eip}`;
  if (m.cpu.cpl !== 0 && m.cpu.cpl !== 3) return `cpl ${m.cpu.cpl}`;
  return null;
}

const MODES: [string, Mode, number][] = [
  ['ring 0, no IDT', { paging: false, ring3: false, idt: 'none' }, 150],
  ['ring 0, handlers that hlt', { paging: false, ring3: false, idt: 'stubs' }, 150],
  ['ring 0, handlers in the random code', { paging: false, ring3: false, idt: 'code' }, 150],
  ['paging, ring 3, IDT installed', { paging: true, ring3: true, idt: 'stubs' }, 200],
  ['paging, ring 3, handlers in the random code', { paging: true, ring3: true, idt: 'code' }, 200],
];

for (const [name, mode, runs] of MODES) {
  t.test(`random code: ${name}`, async (t) => {
    fc.assert(fc.property(codeArb, regsArb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 16 }),
      (code, regs, answers, noise) => {
        const m = setUp(mode, code, regs, noise);
        const problem = drive(m, answers);
        if (problem) throw new Error(problem);
      }), { numRuns: runs });
    t.pass(`${runs} random programs`);
  });
}

t.test('random code never stops without an exit record, even with a budget of 1', async (t) => {
  fc.assert(fc.property(codeArb, regsArb, (code, regs) => {
    const m = setUp({ paging: true, ring3: false, idt: 'stubs' }, code, regs, []);
    for (let k = 0; k < 200; k++) {
      const x = m.run(1);
      const bad = malformed(x, m);
      if (bad) throw new Error(bad);
      if (x.reason === 'shutdown') break;
      if (x.reason === 'io' && !x.write) m.cpu.completeIo(k);
      if (x.reason === 'mmio' && !x.write) m.cpu.completeMmioRead(k);
    }
  }), { numRuns: 100 });
  t.pass();
});
