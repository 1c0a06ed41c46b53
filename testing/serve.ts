/**
 * `vamos serve` as a child process, for the tests (from the TypeScript sources) and the redis
 * bench (from dist/): start it on a free port, wait for its ready line (docs/cli.md), stop it
 * with Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Served {
  port: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Ctrl-C (or `signal`), then the exit code once the child is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `command... serve --port 0 ARGS` (command: the node binary and its arguments up to the
 * vamos entry point) and resolves once it says where to connect.
 */
export function startServe(command: readonly string[], args: readonly string[], timeoutMs = 60_000): Promise<Served> {
  const [exe, ...pre] = command;
  const child = spawn(exe!, [...pre, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`vamos serve was not ready after ${timeoutMs / 1000} s: ${err}`)); }, timeoutMs);
    const early = (code: number | null): void => { clearTimeout(timer); reject(new Error(`vamos serve exited with ${code} before it was ready: ${err}`)); };
    child.once('exit', early);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /ready: 127\.0\.0\.1:(\d+)/.exec(err);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        port: Number(m[1]), child, stdout: () => out, stderr: () => err,
        stop: (signal = 'SIGINT') => {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a server that takes a port number). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
