/**
 * Reading a file the user named (an image, a source, a profile, a trace, console input) without
 * hanging or eating memory: a device (/dev/zero), a directory or a socket is refused, a regular
 * file larger than the cap is refused before it is read, and a pipe is read only up to the cap
 * (issue 15, item 4). Errors carry `code`: the errno name (ENOENT, EACCES) or a phrase.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';

/** Sources, images, profiles: far more than any of them needs. */
export const DEFAULT_INPUT_CAP = 256 * 1024 * 1024;

export class InputFileError extends Error {
  constructor(readonly path: string, readonly code: string) {
    super(`${path}: cannot read: ${code}`);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'EISDIR';
  if (st.isCharacterDevice()) return 'not a regular file (a character device)';
  if (st.isBlockDevice()) return 'not a regular file (a block device)';
  if (st.isSocket()) return 'not a regular file (a socket)';
  return 'not a regular file';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The bytes of `path` (or of stdin, fd 0). Regular files up to `max` bytes; pipes up to `max`
 * bytes (more is an error, or with `truncate` the first `max` bytes and `truncated: true`).
 */
export function readHostFile(path: string | 0, opts: { max?: number; truncate?: boolean } = {}): Buffer & { truncated?: boolean } {
  const max = opts.max ?? DEFAULT_INPUT_CAP;
  const name = path === 0 ? 'stdin' : path;
  let fd: number;
  try {
    fd = path === 0 ? 0 : openSync(path, 'r');
  } catch (e) {
    throw new InputFileError(name, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) {
      if (st.size > max) {
        if (!opts.truncate) throw new InputFileError(name, `too large (${st.size} bytes; at most ${max})`);
      }
    } else if (!st.isFIFO() && !(path === 0 && (st.isSocket() || isatty(0)))) {
      // stdin may also be a terminal (`vamos cc -`, typed until Ctrl-D) or a socket; a named
      // device (/dev/zero) never is what the user meant.
      throw new InputFileError(name, kindOf(st));
    }
    // Read in chunks up to the cap: a pipe has no size, and a file may grow while being read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { Atomics.wait(sleeper, 0, 0, 2); continue; }
        if (code === 'EOF') break;
        throw new InputFileError(name, code ?? String(e));
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > max) {
        if (!opts.truncate) throw new InputFileError(name, `more than ${max} bytes`);
        const all = Buffer.concat(chunks).subarray(0, max) as Buffer & { truncated?: boolean };
        all.truncated = true;
        return all;
      }
    }
    return Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(name, (e as NodeJS.ErrnoException).code ?? String(e));
  } finally {
    if (path !== 0) closeSync(fd);
  }
}

/**
 * The same as text (UTF-8). A file with a NUL byte is binary (an image given as a source, random
 * bytes): refused in one line, rather than echoed to the terminal in diagnostics.
 */
export function readHostText(path: string | 0, opts: { max?: number } = {}): string {
  const bytes = readHostFile(path, opts);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputFileError(path === 0 ? 'stdin' : path, `not a text file (a NUL byte at offset ${nul})`);
  return bytes.toString('utf8');
}
