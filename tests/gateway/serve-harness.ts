/**
 * For the `vamos serve` tests: start the command as a child process (the TypeScript sources,
 * compiled in dist/ beside the tests), wait for its ready line, and talk RESP to it over TCP.
 */
import { connect, type Socket } from 'node:net';
import { startServe as startServeAt, type Served } from '../../testing/serve.js';
import { projectFile } from '../../vmm/paths.js';
import { encodeCommand, RespReader, type RespValue } from '../../middleware/workload/resp.js';

const cli = projectFile('dist', 'cli', 'vamos.js');

export type { Served };

/** Starts `vamos serve ARGS --port 0` and resolves once it says where to connect. */
export function startServe(args: readonly string[], timeoutMs = 60_000): Promise<Served> {
  return startServeAt([process.execPath, cli], args, timeoutMs);
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
