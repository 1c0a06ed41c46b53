/**
 * A reference model of the guest side of docs/gateway.md, attached at the frame level: it takes
 * the Ethernet frames the gateway delivers to the guest and answers with frames, as the guest
 * kernel and middleware/dbserver/gateway.c would. The service is an "uppercase echo": each DATA
 * payload comes back with a..z turned to A..Z, cut at GW_MAX_PAYLOAD, every reply carrying the
 * cumulative acknowledgement, an ACK when a datagram produced nothing.
 *
 * The model checks the gateway while it serves: never more than `window` datagrams received and
 * not acknowledged (counting only acknowledgements already delivered), OPEN first and sequence
 * numbers in order, connection numbers never reused. Anything wrong lands in `violations`.
 *
 * It consumes and answers only when told (`step`, `release`), so a test chooses every delay; or
 * `auto` answers everything on the next turn of the event loop, for socket tests.
 */
import { buildUdpFrame, parseFrame } from '../../devices/virtio/net/frames.js';
import { GW_MAX_PAYLOAD, GwType, decodeGw, encodeGw, type GwDatagram } from '../../devices/virtio/net/gateway/proto.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP, guestMac } from '../../vmm/platform.js';

export interface ModelOptions {
  /** The server's UDP port (the gateway's guestPort). */
  port: number;
  /** The window the gateway must respect. */
  window: number;
  /** Close a connection (after echoing) once it has consumed at least this many bytes. */
  closeAfter?: (conn: number) => number | undefined;
  /** Refuse OPENs beyond this many live connections, as dbserver does at 64. */
  maxConns?: number;
  /** Answer on the next turn of the event loop (setImmediate) instead of when told. */
  auto?: boolean;
}

export class ModelConn {
  /** Datagrams consumed, OPEN included: the next seq expected, and the acknowledgement. */
  consumed = 1;
  /** Bytes consumed so far. */
  length = 0;
  private chunks: Uint8Array[] = [];

  add(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  /** The bytes the server consumed, in order (kept as chunks: a byte at a time is slow at megabytes). */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function upper(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[i]! >= 0x61 && b[i]! <= 0x7a ? b[i]! - 0x20 : b[i]!;
  return out;
}

export class ModelServer {
  readonly mac = guestMac(0);
  /** Frames for the gateway: set this to the backend's send (or a mux adapter). */
  toGateway: (frame: Uint8Array) => void = () => {};
  readonly violations: string[] = [];
  /** Datagrams received and not yet consumed. */
  readonly inbox: GwDatagram[] = [];
  /** Reply frames produced and not yet released to the gateway. */
  readonly outbox: { frame: Uint8Array; conn: number; seq: number }[] = [];
  readonly live = new Map<number, ModelConn>();
  /** Every connection ever opened, with what it consumed (kept after it closed). */
  readonly all = new Map<number, ModelConn>();
  /** Connections the gateway closed, and the ones the server closed, in order. */
  readonly clientClosed: number[] = [];
  readonly serverClosed: number[] = [];
  shutdowns = 0;
  seqErrors = 0;
  /** The most datagrams ever outstanding (received, acknowledgement not yet delivered). */
  maxOutstanding = 0;
  private received = new Map<number, number>();
  private ackDelivered = new Map<number, number>();
  private scheduled = false;

  constructor(readonly opts: ModelOptions) {}

  /** The server's first datagram: HELLO, conn 0, to the gateway's port. */
  hello(): void {
    this.toGateway(this.frame({ type: GwType.hello, conn: 0, seq: 0, payload: new Uint8Array(0) }));
  }

  get outstanding(): number {
    let n = 0;
    for (const [c, r] of this.received) n += r - (this.ackDelivered.get(c) ?? 0);
    return n;
  }

  /** A frame from the gateway (the backend's onReceive). */
  receive(f: Uint8Array): void {
    const p = parseFrame(f);
    if (p.kind !== 'udp') return; // ARP replies and the like: nothing for the server
    const u = p.d;
    if (u.srcIp !== NET_GATEWAY_IP || u.dstIp !== NET_GUEST_IP || u.dstPort !== this.opts.port || u.srcPort !== this.opts.port) {
      this.violations.push(`frame ${u.srcIp.toString(16)}:${u.srcPort} -> ${u.dstIp.toString(16)}:${u.dstPort}`);
      return;
    }
    const d = decodeGw(u.payload);
    if (typeof d === 'string') {
      this.violations.push(`malformed datagram from the gateway: ${d}`);
      return;
    }
    this.received.set(d.conn, (this.received.get(d.conn) ?? 0) + 1);
    const out = this.outstanding;
    this.maxOutstanding = Math.max(this.maxOutstanding, out);
    if (out > this.opts.window) this.violations.push(`${out} datagrams outstanding, window ${this.opts.window}`);
    this.inbox.push(d);
    if (this.opts.auto && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.runAll();
      });
    }
  }

  /** Consumes the oldest datagram; its replies go to the outbox. False when there was none. */
  step(): boolean {
    const d = this.inbox.shift();
    if (d === undefined) return false;
    this.consume(d);
    return true;
  }

  /** Delivers up to `n` held replies to the gateway, oldest first. */
  release(n = Infinity): void {
    while (n-- > 0 && this.outbox.length > 0) {
      const o = this.outbox.shift()!;
      this.ackDelivered.set(o.conn, Math.max(this.ackDelivered.get(o.conn) ?? 0, o.seq));
      this.toGateway(o.frame);
    }
  }

  /** Consumes and answers everything, including what the answers bring back. */
  runAll(): void {
    for (let guard = 0; guard < 1e7; guard++) {
      if (this.step()) continue;
      if (this.outbox.length === 0) return;
      this.release();
    }
    throw new Error('model server: no quiescence');
  }

  private consume(d: GwDatagram): void {
    const c = this.live.get(d.conn);
    switch (d.type) {
      case GwType.open: {
        if (d.seq !== 0) this.violations.push(`OPEN ${d.conn} with seq ${d.seq}`);
        if (this.all.has(d.conn)) this.violations.push(`connection ${d.conn} reused`);
        const st = new ModelConn();
        this.all.set(d.conn, st);
        if (this.opts.maxConns !== undefined && this.live.size >= this.opts.maxConns) {
          this.reply(d.conn, GwType.data, 1, new TextEncoder().encode('-ERR max number of clients reached\r\n'));
          this.reply(d.conn, GwType.close, 1);
          this.serverClosed.push(d.conn);
          return;
        }
        this.live.set(d.conn, st);
        this.reply(d.conn, GwType.ack, 1);
        return;
      }
      case GwType.data: {
        if (c === undefined) return this.reply(d.conn, GwType.close, d.seq + 1);
        if (d.seq !== c.consumed) {
          this.seqErrors++;
          this.violations.push(`conn ${d.conn}: DATA seq ${d.seq}, expected ${c.consumed}`);
          c.consumed = d.seq + 1;
          this.reply(d.conn, GwType.data, c.consumed, new TextEncoder().encode('-ERR gateway: lost datagram\r\n'));
          this.reply(d.conn, GwType.close, c.consumed);
          this.live.delete(d.conn);
          return;
        }
        c.consumed++;
        c.add(d.payload);
        const out = upper(d.payload);
        for (let i = 0; i < out.length; i += GW_MAX_PAYLOAD) this.reply(d.conn, GwType.data, c.consumed, out.subarray(i, i + GW_MAX_PAYLOAD));
        const limit = this.opts.closeAfter?.(d.conn);
        if (limit !== undefined && c.length >= limit) {
          this.reply(d.conn, GwType.close, c.consumed);
          this.live.delete(d.conn);
          this.serverClosed.push(d.conn);
        } else if (out.length === 0) {
          this.reply(d.conn, GwType.ack, c.consumed);
        }
        return;
      }
      case GwType.close:
        if (c !== undefined) {
          if (d.seq !== c.consumed) this.violations.push(`conn ${d.conn}: CLOSE seq ${d.seq}, expected ${c.consumed}`);
          this.live.delete(d.conn);
          this.clientClosed.push(d.conn);
        }
        return this.reply(d.conn, GwType.ack, d.seq + 1);
      case GwType.shutdown:
        if (d.conn !== 0 || d.seq !== 0) this.violations.push(`SHUTDOWN conn ${d.conn} seq ${d.seq}`);
        this.shutdowns++;
        // dbserver exits without answering; the model acknowledges so the test can see the window drain.
        return this.reply(0, GwType.ack, 1);
      default:
        this.violations.push(`type ${d.type} from the gateway`);
    }
  }

  private reply(conn: number, type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.outbox.push({ frame: this.frame({ type, conn, seq, payload }), conn, seq });
  }

  private frame(d: GwDatagram): Uint8Array {
    return buildUdpFrame({
      srcMac: this.mac, dstMac: NET_GATEWAY_MAC, srcIp: NET_GUEST_IP, dstIp: NET_GATEWAY_IP,
      srcPort: this.opts.port, dstPort: this.opts.port, payload: encodeGw(d),
    });
  }
}
