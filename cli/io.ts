/** Where a command writes: the real process, or a test's buffers. */
import { writeSync } from 'node:fs';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Raw guest console bytes (written as they come, in order with stdout). */
  console(bytes: Uint8Array): void;
  /** Whether stdin may be read as guest input. */
  stdinIsData: boolean;
  /** The real process: SIGINT and SIGTERM stop a run (stopOnSignals); tests leave it unset. */
  signals?: boolean;
}

/** The exit code of a run stopped by a signal, as a shell reports it: 128 + the signal number. */
export const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Until the returned function is called, SIGINT (Ctrl-C) and SIGTERM end `vm`'s runAsync() at
 * the next exit, so that the caller finishes its trace file and prints its stats; a second
 * signal exits at once. Returns the signal that stopped the run, if one did.
 */
export function stopOnSignals(vm: { requestStop(message: string): void }, io: Io, command: string): { remove(): void; signal(): 'SIGINT' | 'SIGTERM' | undefined } {
  let got: 'SIGINT' | 'SIGTERM' | undefined;
  const on = (sig: 'SIGINT' | 'SIGTERM') => (): void => {
    if (got !== undefined) {
      io.stderr(`vamos ${command}: ${sig} again: stopping at once\n`);
      process.exit(SIGNAL_EXIT[sig]);
    }
    got = sig;
    vm.requestStop(`stopped by ${sig === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM'}`);
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return {
    remove: () => { process.off('SIGINT', int); process.off('SIGTERM', term); },
    signal: () => got,
  };
}

/**
 * A write to a reader that went away (`vamos boot | head`) ends the process quietly, as a
 * Unix tool does on SIGPIPE; an EAGAIN on a non-blocking pipe is retried.
 */
function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(fd === 1 ? 0 : 1);
      if (code !== 'EAGAIN') throw e;
    }
  }
}

/** Synchronous writes: the simulation runs without yielding, and order must be kept. */
export function processIo(): Io {
  return {
    stdout: (s) => { writeAll(1, s); },
    stderr: (s) => { writeAll(2, s); },
    console: (b) => { writeAll(1, b); },
    stdinIsData: true,
    signals: true,
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

/** The guest's console on stdout as the guest writes it, a line (or 4 KiB) at a time, so a long run shows progress. */
export class ConsoleStream {
  private buf: number[] = [];
  constructor(private readonly io: Io) {}
  put(b: number): void {
    this.buf.push(b);
    if (b === 10 || this.buf.length >= 4096) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    this.io.console(Uint8Array.from(this.buf));
    this.buf = [];
  }
}
