/**
 * A guest's fault as a crash report (issue 15, item 10): the exception, eip, the function and
 * offset from the image's symbol table, and a short backtrace from the frame chain (ebp), or from
 * the return addresses on the stack when code without frame pointers left no chain. The
 * hosted runtime (guest-os/runtime/crt0.s) sends every exception's vector to CRASH_PORT from its
 * IDT stub; a triple fault (a stack overflow into the guard, where no frame can be pushed) is
 * described from the CPU's state alone.
 */
import type { BusDevice } from './bus.js';
import type { AccessSize } from './exits.js';
import type { GuestMemory } from './memory.js';
import { decode } from './isa/encoding.js';

export const CRASH_PORT = 0xf8;

const EXCEPTIONS: Record<number, string> = {
  0: 'divide error (#DE)',
  6: 'invalid opcode (#UD)',
  8: 'double fault (#DF)',
  13: 'general protection fault (#GP)',
  14: 'page fault (#PF)',
};

/** The state the report is made from: what the CPU and the image give. */
export interface CrashContext {
  readonly mem: GuestMemory;
  readonly regs: Int32Array | number[];
  readonly eip: number;
  readonly cr0: number;
  readonly cr2: number;
  readonly cr3: number;
  readonly symbols: readonly { name: string; value: number; size: number; kind: string }[];
}

export interface Crash {
  /** One line: what happened and where. */
  message: string;
  /** The backtrace and registers, a line each. */
  details: string[];
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

/** Reads a dword at a linear address through the guest's page tables; undefined when unmapped. */
function read32(c: CrashContext, linear: number): number | undefined {
  const pa = translate(c, linear >>> 0);
  if (pa === undefined || !c.mem.isRam(pa, 4)) return undefined;
  return (c.mem.ram[pa]! | (c.mem.ram[pa + 1]! << 8) | (c.mem.ram[pa + 2]! << 16) | (c.mem.ram[pa + 3]! << 24)) >>> 0;
}

function translate(c: CrashContext, linear: number): number | undefined {
  if ((c.cr0 & 0x80000000) === 0) return linear;
  const raw = (pa: number): number | undefined => (c.mem.isRam(pa, 4) ? new DataView(c.mem.ram.buffer).getUint32(pa, true) : undefined);
  const pde = raw(((c.cr3 & ~0xfff) >>> 0) + (linear >>> 22) * 4);
  if (pde === undefined || (pde & 1) === 0) return undefined;
  const pte = raw(((pde & ~0xfff) >>> 0) + ((linear >>> 12) & 0x3ff) * 4);
  if (pte === undefined || (pte & 1) === 0) return undefined;
  return (((pte & ~0xfff) >>> 0) + (linear & 0xfff)) >>> 0;
}

/** `main+0x14`, or the bare address outside every function. */
export function symbolize(symbols: CrashContext['symbols'], addr: number): string {
  let best: CrashContext['symbols'][number] | undefined;
  for (const s of symbols) {
    if (s.kind === 'label' || s.value > addr) continue;
    if (best === undefined || s.value > best.value) best = s;
  }
  if (best === undefined || (best.size > 0 && addr >= best.value + best.size) || addr - best.value > 0x100000) return hex(addr);
  return addr === best.value ? best.name : `${best.name}+${hex(addr - best.value)}`;
}

/** `0x100468 (divide+0x24)`, or the address alone. */
function where(c: CrashContext, addr: number): string {
  const at = symbolize(c.symbols, addr);
  return at.startsWith('0x') ? at : `${hex(addr)} (${at})`;
}

/** Return addresses up the ebp chain, at most `max`. */
function frames(c: CrashContext, ebp: number, max: number): number[] {
  const out: number[] = [];
  let fp = ebp >>> 0;
  for (let i = 0; i < max && fp !== 0; i++) {
    const ret = read32(c, fp + 4);
    const next = read32(c, fp);
    if (ret === undefined || next === undefined || ret === 0) break;
    out.push(ret);
    if (next <= fp) break; // the chain only goes up the stack
    fp = next;
  }
  return out;
}

/**
 * Code built at -O1/-O2 keeps no frame pointer (docs/cc-optimizer.md), so ebp is no chain there.
 * Then, as a debugger without unwind tables does, the stack is scanned upward from esp for
 * return addresses: words that point into a function just after a call instruction. A stale
 * return address left in a live frame would show as an extra frame; none is ever missed.
 */
function scannedFrames(c: CrashContext, esp: number, max: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < STACK_SCAN_WORDS && out.length < max; k++) {
    const v = read32(c, (esp + 4 * k) >>> 0);
    if (v === undefined) break;
    if (followsCall(c, v)) out.push(v);
  }
  return out;
}

const STACK_SCAN_WORDS = 4096;

/** Whether the instruction just before `addr`, inside a function of the image, is a call. */
function followsCall(c: CrashContext, addr: number): boolean {
  const at = symbolize(c.symbols, addr);
  if (at.startsWith('0x') || !at.includes('+')) return false;
  for (const len of [4, 8]) { // call r; call rel32 and call [m]
    const start = (addr - len) >>> 0;
    const w = read32(c, start);
    if (w === undefined) continue;
    const r = decode(w, (k) => read32(c, (start + 4 * k) >>> 0) ?? 0);
    if (r.ok && r.insn.def.mnemonic === 'call' && r.length === len) return true;
  }
  return false;
}

function backtrace(c: CrashContext, eip: number, first: number[], ebp: number, esp: number): string[] {
  const chain = frames(c, ebp, 8);
  // `first` holds the words at the top of the stack already (a call through a bad pointer).
  const addrs = [eip, ...first, ...(chain.length > 0 ? chain : scannedFrames(c, (esp + 4 * first.length) >>> 0, 8))];
  const lines: string[] = [];
  for (let i = 0; i < addrs.length; i++) {
    const at = symbolize(c.symbols, addrs[i]!);
    lines.push(`  #${i} ${hex(addrs[i]!)}${at.startsWith('0x') ? '' : ` in ${at}`}`);
  }
  return lines;
}

/** An exception the runtime's IDT stub reported: the frame is at esp (error code, eip, ring, eflags, esp). */
export function describeException(c: CrashContext, vector: number): Crash {
  const esp = c.regs[4]! >>> 0;
  const error = read32(c, esp) ?? 0;
  const eip = read32(c, esp + 4) ?? c.eip;
  const oldEsp = read32(c, esp + 16) ?? esp;
  const name = EXCEPTIONS[vector] ?? `exception ${vector}`;
  let what = name;
  const extra: number[] = [];
  if (vector === 14) {
    const access = error & 16 ? 'instruction fetch from' : error & 2 ? 'write to' : 'read of';
    const why = c.cr2 < 0x1000 ? ' (a null pointer)' : error & 1 ? ' (a protection violation)' : ' (not mapped: outside RAM, or a stack guard)';
    what = `${name}: ${access} ${hex(c.cr2)}${why}`;
    // A call through a bad pointer: the return address is the top of the stack.
    if (error & 16) {
      const ret = read32(c, oldEsp);
      if (ret !== undefined) extra.push(ret);
    }
  } else if (vector === 13 && error !== 0) {
    what = `${name}, error ${hex(error)}`;
  }
  return {
    message: `guest fault: ${what} at ${where(c, eip)}`,
    details: backtrace(c, eip, extra, c.regs[5]! >>> 0, oldEsp).concat(registers(c, oldEsp)),
  };
}

/**
 * A triple fault, from the CPU's state: eip is the instruction of the first fault. A stack
 * pointer in an unmapped page is a stack overflow (the guard below the runtime's stack, or a
 * local array larger than the stack).
 */
export function describeTripleFault(c: CrashContext, cause: string): Crash {
  const esp = c.regs[4]! >>> 0;
  const stackGone = read32(c, (esp - 4) >>> 0) === undefined;
  const what = stackGone ? `${cause}: stack overflow (esp ${hex(esp)} is below the stack, in unmapped memory)` : cause;
  return {
    message: `guest shut down: ${what} at ${where(c, c.eip)}`,
    details: backtrace(c, c.eip, [], c.regs[5]! >>> 0, esp).concat(registers(c, esp)),
  };
}

function registers(c: CrashContext, esp: number): string[] {
  const r = (i: number): string => hex(c.regs[i]!).padStart(10);
  return [`  eax ${r(0)}  ecx ${r(1)}  edx ${r(2)}  ebx ${r(3)}`, `  esp ${hex(esp).padStart(10)}  ebp ${r(5)}  esi ${r(6)}  edi ${r(7)}  cr2 ${hex(c.cr2)}`];
}

/** Port 0xF8: a dword written is an exception vector (crt0's IDT stubs). */
export class CrashPort implements BusDevice {
  readonly name = 'crash-report';
  constructor(private readonly onFault: (vector: number) => void) {}
  read(_offset: number, _size: AccessSize): number {
    return 0;
  }
  write(_offset: number, _size: AccessSize, value: number): void {
    this.onFault(value >>> 0);
  }
}
