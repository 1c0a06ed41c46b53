/**
 * Loads a trace for the report: decodes each record into an exit with its reason, device and
 * guest function resolved, and checks the indices a corrupt file could get wrong.
 */
import { EXIT_REASONS, type ExitReason } from '../exits.js';
import { FLAG_WRITE, NO_DEVICE, type TraceTrailer } from '../trace/format.js';
import { readTraceFile, TraceError, type Trace } from '../trace/reader.js';
import { UNMAPPED, NO_DEVICE as NO_DEVICE_ROW } from '../stats.js';
import { SymbolResolver } from './symbols.js';

/** The group of exits that carry no device (hlt, interrupts, preemption...). */
export const NO_DEVICE_LABEL = NO_DEVICE_ROW;

export interface Exit {
  /** Virtual cycles since the VM started. */
  at: number;
  eip: number;
  cost: number;
  reason: ExitReason;
  device: string;
  fn: string;
  offset: number;
  write: boolean;
  /** Port, guest-physical address or cpuid leaf. */
  detail: number;
}

export interface Run {
  file: string;
  trailer: TraceTrailer;
  exits: Exit[];
  /** Exits the run made that a ring did not keep. */
  dropped: number;
}

export function loadRun(file: string): Run {
  return decodeTrace(readTraceFile(file), file);
}

export function decodeTrace(trace: Trace, file: string): Run {
  const { trailer, records } = trace;
  if (!(trailer.cpuHz > 0)) throw new TraceError(`${file}: corrupt trace: cpuHz ${trailer.cpuHz} is not a frequency`);
  const resolver = new SymbolResolver(trailer.symbols);
  const exits = records.map((r, k): Exit => {
    const reason = EXIT_REASONS[r.reason];
    if (reason === undefined) throw new TraceError(`${file}: corrupt trace: record ${k} has exit reason ${r.reason} (known: 0..${EXIT_REASONS.length - 1})`);
    let device: string;
    if (r.device === NO_DEVICE) device = reason === 'io' || reason === 'mmio' ? UNMAPPED : NO_DEVICE_LABEL;
    else {
      const name = trailer.devices[r.device];
      if (typeof name !== 'string') throw new TraceError(`${file}: corrupt trace: record ${k} names device ${r.device}, the trailer lists ${trailer.devices.length}`);
      device = name;
    }
    const { name: fn, offset } = resolver.resolve(r.eip);
    return { at: r.at, eip: r.eip, cost: r.cost, reason, device, fn, offset, write: (r.flags & FLAG_WRITE) !== 0, detail: r.detail };
  });
  const total = typeof trailer.totalExits === 'number' ? trailer.totalExits : exits.length;
  return { file, trailer, exits, dropped: Math.max(0, total - exits.length) };
}
