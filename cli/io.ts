/** Where a command writes: the real process, or a test's buffers. */
import { writeSync } from 'node:fs';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Raw guest console bytes (written as they come, in order with stdout). */
  console(bytes: Uint8Array): void;
  /** Whether stdin may be read as guest input. */
  stdinIsData: boolean;
}

/** Synchronous writes: the simulation runs without yielding, and order must be kept. */
export function processIo(): Io {
  return {
    stdout: (s) => { writeSync(1, s); },
    stderr: (s) => { writeSync(2, s); },
    console: (b) => { writeSync(1, b); },
    stdinIsData: true,
  };
}

/** Captures everything, for tests. */
export function bufferIo(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(s: string) { io.out += s; },
    stderr(s: string) { io.err += s; },
    console(b: Uint8Array) { io.out += Buffer.from(b).toString('latin1'); },
    stdinIsData: false,
  };
  return io;
}
