/**
 * The gateway without sockets: a GatewayBackend with no listener, whose clients are recorded in
 * memory, joined frame by frame to the model server. Everything is synchronous and in order, so
 * a test drives every step and the run is deterministic.
 */
import { GatewayBackend } from '../../devices/virtio/net/gateway/backend.js';
import type { GatewayClients } from '../../devices/virtio/net/gateway/mux.js';
import { decodeGw } from '../../devices/virtio/net/gateway/proto.js';
import { parseFrame } from '../../devices/virtio/net/frames.js';
import { ModelServer, type ModelOptions } from './model-server.js';

export const PORT = 6379;

/** What one client saw; `violations` collects what a real socket would never allow. */
export class FakeClient {
  ended = 0;
  paused = false;
  gone = false;
  private chunks: Uint8Array[] = [];

  write(b: Uint8Array): void {
    this.chunks.push(b.slice());
  }

  /** Everything written to the client, in order. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export class Harness {
  readonly backend: GatewayBackend;
  readonly model: ModelServer;
  readonly clients = new Map<number, FakeClient>();
  readonly violations: string[] = [];
  /** Per connection: datagrams sent to the guest for others while it had one waiting. */
  readonly skipped = new Map<number, number>();
  maxSkipped = 0;
  /** Conn of every datagram to the guest, in order. */
  readonly sentConns: number[] = [];

  constructor(opts: Partial<ModelOptions> & { pauseAbove?: number } = {}) {
    const window = opts.window ?? 8;
    this.model = new ModelServer({ port: PORT, window, ...opts });
    const clients: GatewayClients = {
      write: (conn, bytes) => {
        const c = this.client(conn);
        if (c.gone || c.ended > 0) this.violations.push(`write to conn ${conn} after it ended or went away`);
        c.write(bytes);
      },
      end: (conn) => {
        const c = this.client(conn);
        if (c.gone) this.violations.push(`end of conn ${conn} after it went away`);
        c.ended++;
      },
      pause: (conn) => { this.client(conn).paused = true; },
      resume: (conn) => { this.client(conn).paused = false; },
    };
    this.backend = new GatewayBackend(undefined, 6380, PORT, { window, clients, pauseAbove: opts.pauseAbove });
    this.backend.onReceive = (f) => {
      this.watch(f);
      this.model.receive(f);
    };
    this.model.toGateway = (f) => this.backend.send(f);
  }

  get mux() {
    return this.backend.mux;
  }

  client(conn: number): FakeClient {
    let c = this.clients.get(conn);
    if (c === undefined) {
      c = new FakeClient();
      this.clients.set(conn, c);
    }
    return c;
  }

  open(): number {
    const id = this.mux.open();
    this.client(id);
    return id;
  }

  gone(conn: number): void {
    this.client(conn).gone = true;
    this.mux.clientGone(conn);
  }

  /** Round-robin check: while a connection has a datagram waiting, others go at most (conns - 1) times in a row. */
  private watch(f: Uint8Array): void {
    const p = parseFrame(f);
    if (p.kind !== 'udp') return;
    const d = decodeGw(p.d.payload);
    if (typeof d === 'string') return;
    this.sentConns.push(d.conn);
    for (const id of this.clients.keys()) {
      const n = id !== d.conn && this.mux.hasPending(id) ? (this.skipped.get(id) ?? 0) + 1 : 0;
      this.skipped.set(id, n);
      this.maxSkipped = Math.max(this.maxSkipped, n);
    }
  }
}

export function bytesOf(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}
