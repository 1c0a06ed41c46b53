/**
 * For the `vamos serve` tests: start the command as a child process (the TypeScript sources,
 * through tap's loader), wait for its ready line, and talk RESP to it over TCP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { projectFile } from '../../vmm/paths.js';
import { encodeCommand, RespReader, type RespValue } from '../../middleware/workload/resp.js';

const loader = projectFile('node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs');
const cli = projectFile('cli', 'vamos.ts');

export interface Served {
  port: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Ctrl-C, then the exit code once the child is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `vamos serve ARGS --port 0` and resolves once it says where to connect. */
export function startServe(args: readonly string[], timeoutMs = 60_000): Promise<Served> {
  const child = spawn(process.execPath, [`--import=${loader}`, cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not get ready: ${err}`)); }, timeoutMs);
    const early = (code: number | null): void => { clearTimeout(timer); reject(new Error(`serve exited with ${code} before it was ready: ${err}`)); };
    child.once('exit', early);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /ready: 127\.0\.0\.1:(\d+)/.exec(err);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        port: Number(m[1]), child, stdout: () => out, stderr: () => err,
        stop: (signal = 'SIGINT') => { child.kill(signal); return exited; },
      });
    });
  });
}

/** A minimal Redis client: commands are written at once (pipelined); replies come back in order. */
export class RespClient {
  private readonly reader = new RespReader();
  private readonly waiting: ((v: RespValue) => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.reader.push(d);
      for (let v = this.reader.next(); v !== undefined; v = this.reader.next()) this.waiting.shift()?.(v);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => { /* a reset shows as close */ });
  }

  static open(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RespClient(s)));
      s.once('error', reject);
    });
  }

  send(...args: string[]): Promise<RespValue> {
    const p = new Promise<RespValue>((resolve) => this.waiting.push(resolve));
    this.socket.write(encodeCommand(args));
    return p;
  }

  /** Every command in one write; the replies in order. */
  pipeline(cmds: readonly string[][]): Promise<RespValue[]> {
    const replies = cmds.map(() => new Promise<RespValue>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.end();
  }
}

export const text = (v: RespValue): string => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : String(v));
