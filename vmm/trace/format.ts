/**
 * The exit-trace format (docs/trace-format.md): fixed 24-byte little-endian records, one per VM
 * exit, followed by a JSON trailer (symbols, device names, profile) and a fixed footer. Records
 * stream to disk during the run; the trailer is written last because the device table grows as
 * the run goes.
 *
 *   record:  f64 at (virtual cycles when the exit happened)   u32 eip   u32 cost (cycles)
 *            u32 detail (port or guest-physical address)      u16 device (0xffff: none)
 *            u8 reason (index in EXIT_REASONS)                u8 flags (bit 0: write)
 *   footer:  u32 trailer length, then the 8 bytes "VTRACE01"
 */
export const RECORD_SIZE = 24;
export const FOOTER_MAGIC = 'VTRACE01';
export const FOOTER_SIZE = 12;
export const NO_DEVICE = 0xffff;
export const FLAG_WRITE = 1;

export interface TraceSymbol {
  name: string;
  value: number;
  size: number;
}

export interface TraceTrailer {
  version: 1;
  profile: string;
  cpuHz: number;
  devices: string[];
  symbols: TraceSymbol[];
  /** Exits seen in the run; more than the records when a ring kept only the last ones. */
  totalExits: number;
  /** The ring's capacity, or null when every exit was kept. */
  ring: number | null;
  /** How the run ended, and what was run, for the report's title. */
  stop: string;
  label: string;
}

export interface TraceRecord {
  at: number;
  eip: number;
  cost: number;
  detail: number;
  device: number;
  reason: number;
  flags: number;
}
