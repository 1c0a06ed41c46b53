/**
 * The host calls of a module running in hypervisor context (middleware/include/hostcall.h):
 * block I/O straight to the module's volume (a host file or memory), virtual time, a log.
 * Every call is validated against the module's own memory and charged by the cost profile:
 * block I/O at the disk's latency and bandwidth (the same figures the virtio-blk device is
 * timed with, so the two placements differ only in the path, not the disk), the rest at the
 * profile's hypercall dispatch cost.
 */
import { SECTOR_SIZE } from '../../devices/virtio/blk/request.js';
import type { BlockBackend } from '../../devices/virtio/blk/backend.js';
import { HC_ERR } from '../../vmm/hypercalls.js';
import type { GuestMemory } from '../../vmm/memory.js';
import { nsToCycles, type CostProfile } from '../../vmm/profile.js';

export const HOST_RETURN = 0;
export const HOST_BLK_READ = 1;
export const HOST_BLK_WRITE = 2;
export const HOST_BLK_FLUSH = 3;
export const HOST_BLK_INFO = 4;
export const HOST_TIME_NS = 5;
export const HOST_LOG = 6;
export const HOST_EXIT = 7;

/** Sectors one host block call may move (1 MiB). */
export const HOST_BLK_MAX_SECTORS = 2048;
const EAX = 0, ECX = 1, EDX = 2, EBX = 3;

export interface HostCallCounters {
  reads: number;
  writes: number;
  flushes: number;
  bytesRead: number;
  bytesWritten: number;
  errors: number;
}

export class HostCalls {
  readonly counters: HostCallCounters = { reads: 0, writes: 0, flushes: 0, bytesRead: 0, bytesWritten: 0, errors: 0 };
  /** Host-call cycles spent in the current call, for HOST_TIME_NS. */
  private callCycles = 0;
  /** The VM's virtual time in cycles when the current call began (plus instructions so far). */
  private callStart = 0;
  private logLine = '';

  constructor(
    private readonly mem: GuestMemory,
    private readonly profile: CostProfile,
    private readonly volume: BlockBackend | undefined,
    private readonly log: ((line: string) => void) | undefined,
    private readonly now: () => number = () => 0,
  ) {}

  /** A call (or init) begins: time restarts from the VM's clock. */
  begin(): void {
    this.callStart = this.now();
    this.callCycles = 0;
  }

  /** Handles the call in the registers (result into eax); returns the cycles it cost. */
  dispatch(regs: Int32Array, instructionCycles = 0): number {
    const nr = regs[EAX] >>> 0;
    const a = regs[EBX] >>> 0, b = regs[ECX] >>> 0, c = regs[EDX] >>> 0;
    let value: number;
    let cycles = this.profile.hypercallCycles;
    switch (nr) {
      case HOST_BLK_READ:
      case HOST_BLK_WRITE: {
        value = this.blockIo(nr === HOST_BLK_WRITE, a, b, c);
        if (value > 0) cycles = this.diskCycles(value * SECTOR_SIZE);
        break;
      }
      case HOST_BLK_FLUSH:
        if (this.volume === undefined) { value = HC_ERR.ENOSYS; break; }
        this.volume.flush();
        this.counters.flushes++;
        value = 0;
        cycles = this.diskCycles(0);
        break;
      case HOST_BLK_INFO:
        value = this.volume === undefined ? HC_ERR.ENOSYS : Math.min(this.volume.sectors, 0x7fffffff);
        break;
      case HOST_TIME_NS:
        value = this.time(a, instructionCycles);
        break;
      case HOST_LOG:
        value = this.logBytes(a, b);
        break;
      default:
        value = HC_ERR.ENOSYS;
    }
    if (value < 0) this.counters.errors++;
    regs[EAX] = value;
    this.callCycles += cycles;
    return cycles;
  }

  flushLog(): void {
    if (this.logLine !== '') this.log?.(this.logLine);
    this.logLine = '';
  }

  private diskCycles(bytes: number): number {
    const d = this.profile.disk;
    return nsToCycles(this.profile, d.latencyNsPerRequest + d.nsPerByte * bytes);
  }

  private inModule(addr: number, len: number): boolean {
    return addr + len <= this.mem.ramSize;
  }

  private blockIo(write: boolean, sector: number, buf: number, count: number): number {
    const v = this.volume;
    if (v === undefined) return HC_ERR.ENOSYS;
    if (count === 0 || count > HOST_BLK_MAX_SECTORS) return HC_ERR.EINVAL;
    const bytes = count * SECTOR_SIZE;
    if (!this.inModule(buf, bytes)) return HC_ERR.EFAULT;
    if (sector + count > v.sectors) return HC_ERR.EINVAL;
    if (write && v.readOnly) return HC_ERR.EPERM;
    const view = this.mem.ram.subarray(buf, buf + bytes);
    try {
      if (write) {
        v.write(sector, view);
        this.counters.writes++;
        this.counters.bytesWritten += bytes;
      } else {
        this.mem.written(buf, bytes); // before: a read that fails halfway may have changed some
        v.read(sector, view);
        this.counters.reads++;
        this.counters.bytesRead += bytes;
      }
    } catch {
      return HC_ERR.EIO;
    }
    return count;
  }

  private time(addr: number, instructionCycles: number): number {
    if (!this.inModule(addr, 8)) return HC_ERR.EFAULT;
    const cycles = this.callStart + this.callCycles + instructionCycles;
    const ns = BigInt(Math.floor((cycles * 1e9) / this.profile.cpuHz));
    new DataView(this.mem.ram.buffer).setBigUint64(addr, ns, true);
    this.mem.written(addr, 8);
    return 0;
  }

  private logBytes(addr: number, len: number): number {
    if (len > 4096) return HC_ERR.EINVAL;
    if (!this.inModule(addr, len)) return HC_ERR.EFAULT;
    for (const byte of this.mem.ram.subarray(addr, addr + len)) {
      if (byte === 10) this.flushLog();
      else if (this.logLine.length < 1000) this.logLine += String.fromCharCode(byte);
    }
    return 0;
  }
}
