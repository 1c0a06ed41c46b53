/**
 * Reads an exit trace. Every malformed file gets one `TraceError` line naming the file and what
 * is wrong, never a host exception.
 */
import { readHostFile } from '../host-file.js';

/** Traces are read whole; a ring (--trace-ring) keeps a long run's under this. */
const MAX_TRACE = 2 ** 31 - 1;
import { FOOTER_MAGIC, FOOTER_SIZE, RECORD_SIZE, type TraceRecord, type TraceTrailer } from './format.js';

export class TraceError extends Error {}

export interface Trace {
  trailer: TraceTrailer;
  records: TraceRecord[];
}

export function readTraceFile(path: string): Trace {
  let bytes: Uint8Array;
  try {
    bytes = readHostFile(path, { max: MAX_TRACE });
  } catch (e) {
    throw new TraceError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseTrace(bytes, path);
}

export function parseTrace(bytes: Uint8Array, source = 'trace'): Trace {
  if (bytes.length < FOOTER_SIZE) throw new TraceError(`${source}: not a vamos trace (${bytes.length} bytes, too short)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = Buffer.from(bytes.subarray(bytes.length - 8)).toString('latin1');
  if (magic !== FOOTER_MAGIC) throw new TraceError(`${source}: not a vamos trace (no ${FOOTER_MAGIC} footer; truncated or another file)`);
  const trailerLen = dv.getUint32(bytes.length - FOOTER_SIZE, true);
  const recordBytes = bytes.length - FOOTER_SIZE - trailerLen;
  if (recordBytes < 0 || recordBytes % RECORD_SIZE !== 0) {
    throw new TraceError(`${source}: corrupt trace: trailer length ${trailerLen} does not fit the file`);
  }
  let trailer: TraceTrailer;
  try {
    trailer = JSON.parse(Buffer.from(bytes.subarray(recordBytes, recordBytes + trailerLen)).toString('utf8')) as TraceTrailer;
  } catch {
    throw new TraceError(`${source}: corrupt trace: the trailer is not JSON`);
  }
  if (trailer?.version !== 1 || !Array.isArray(trailer.devices) || !Array.isArray(trailer.symbols) || typeof trailer.cpuHz !== 'number') {
    throw new TraceError(`${source}: unsupported or corrupt trace trailer`);
  }
  const records: TraceRecord[] = [];
  let last = 0;
  for (let o = 0; o < recordBytes; o += RECORD_SIZE) {
    // Virtual time is a whole, non-negative cycle count that never goes back (a ring keeps order).
    const at = dv.getFloat64(o, true);
    if (!Number.isSafeInteger(at) || at < 0) throw new TraceError(`${source}: corrupt trace: record ${o / RECORD_SIZE} has time ${at}, not a cycle count`);
    if (at < last) throw new TraceError(`${source}: corrupt trace: record ${o / RECORD_SIZE} goes back in time (${at} after ${last})`);
    last = at;
    records.push({
      at,
      eip: dv.getUint32(o + 8, true),
      cost: dv.getUint32(o + 12, true),
      detail: dv.getUint32(o + 16, true),
      device: dv.getUint16(o + 20, true),
      reason: dv.getUint8(o + 22),
      flags: dv.getUint8(o + 23),
    });
  }
  return { trailer, records };
}
