/**
 * A guest whose exits are known in advance, booted with a trace: `beep` does N `outb 0x80`
 * (the null port), `other` does M (not called when M is 0), then `_start` powers off with one `outd 0xf4`. So a trace
 * holds N io exits in beep, M in other and one in _start, all at ring 0 with paging off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import type { Image } from '../../toolchain/image/format.js';
import type { VmExit } from '../../vmm/exits.js';
import { loadProfile } from '../../vmm/profile.js';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import { Vm } from '../../vmm/vm.js';

export const dir = mkdtempSync(join(tmpdir(), 'vamos-report-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export function beepGuest(n: number, m: number): Image {
  return assemble(`
_start:
    call beep
    ${m > 0 ? 'call other' : ''}
    mov eax, 0
    outd 0xf4, eax
beep:
    mov ecx, ${n}
.again:
    outb 0x80, eax
    dec ecx
    jne .again
    ret
other:
    mov ecx, ${m}
.again:
    outb 0x80, eax
    dec ecx
    jne .again
    ret
`, { file: 'beep.s' }).image;
}

export interface Seen {
  exit: VmExit;
  cycles: number;
  device: string | undefined;
  at: number;
  eip: number;
}

export interface Traced {
  path: string;
  vm: Vm;
  seen: Seen[];
}

let serial = 0;

/** Boots `kernel`, recording to a fresh trace file unless `trace` is false. */
export function bootTraced(kernel: Image, opts: { ring?: number; profile?: string; label?: string; trace?: boolean } = {}): Traced {
  const path = join(dir, `run-${serial++}.trc`);
  const trace = opts.trace === false ? undefined : new TraceRecorder(path, { ring: opts.ring, label: opts.label ?? 'beep' });
  const seen: Seen[] = [];
  const firmware = bootRom();
  const vm = new Vm({
    kernel, firmware, profile: loadProfile(opts.profile ?? 'nehalem-2011'), memSize: 2 << 20,
    trace, onExit: (exit, cycles, device, at, eip) => seen.push({ exit, cycles, device, at, eip }),
  });
  const r = vm.run();
  if (r.stop !== 'poweroff') throw new Error(`test guest did not power off: ${r.message}`);
  trace?.close({
    profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: r.message,
    symbols: [...kernel.symbols, ...firmware.symbols].filter((s) => s.kind !== 'label').map(({ name, value, size }) => ({ name, value, size })),
  });
  return { path, vm, seen };
}
