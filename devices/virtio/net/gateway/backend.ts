/**
 * The TCP gateway as a net backend (docs/gateway.md): listens on host:hostPort (127.0.0.1 by
 * default) and carries every TCP connection to the guest server at 10.0.2.15:guestPort as UDP
 * datagrams from 10.0.2.2:guestPort, through a GatewayMux. Nothing goes to the guest before the
 * server's HELLO; connections made earlier wait (`onReady` says when it came). Towards the guest it speaks the
 * user-mode network of docs/network.md (same addresses and MACs, ARP for the gateway answered);
 * every other frame from the guest is counted and dropped, never thrown.
 *
 * Connections arrive on Node's event loop, so a VM with this backend runs with vm.runAsync().
 * Frames for the guest are delivered synchronously through onReceive, also from inside send()
 * (an acknowledgement frees the window and the next datagram goes at once).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { NetBackend } from '../backend.js';
import { buildUdpFrame } from '../frames.js';
import { readGuestFrame } from '../gateway-host.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP, guestMac } from '../../../../vmm/platform.js';
import { GatewayMux, type GatewayClients, type GatewayMuxStats } from './mux.js';

export interface GatewayOptions {
  /** The TCP port clients connect to (0: any free port, see `hostPort`). */
  hostPort: number;
  /** The guest server's UDP port. */
  guestPort: number;
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /** Datagrams in flight to the guest, all connections together (default GW_WINDOW). */
  window?: number;
  /** Until the guest sends a frame of its own (default: the MAC the VMM gives net device 0). */
  guestMac?: Uint8Array;
}

/** The frame layer's counters; GatewayStats adds the mux's (one live object). */
export interface GatewayFrameStats {
  /** Frames delivered to the guest (datagrams and ARP replies). */
  framesToGuest: number;
  arpReplies: number;
  /** Guest frames that are not well-formed Ethernet/ARP/IPv4/UDP. */
  malformedFrames: number;
  /** Well-formed guest frames the gateway does not carry (other protocols, hosts or ports). */
  ignoredFrames: number;
  /** Socket errors other than a client resetting or going away. */
  socketErrors: number;
  lastDrop: string | undefined;
}

/** Everything in one object: the frame layer's counters and the mux's (connections, datagrams, window). */
export type GatewayStats = GatewayFrameStats & GatewayMuxStats;

const QUIET_ERRORS = new Set(['EPIPE', 'ECONNRESET']);

export class GatewayBackend implements NetBackend {
  onReceive: ((frame: Uint8Array) => void) | undefined;
  /** Called once, when the guest server's first HELLO arrives. */
  onReady: (() => void) | undefined;
  readonly mux: GatewayMux;
  readonly stats: GatewayStats;
  /** Where frames for the guest go: learned from the guest's own frames. */
  guestMac: Uint8Array;
  private readonly sockets = new Map<number, Socket>();
  private ipId = 0;
  private closed = false;

  /** `server` may be undefined for a backend driven without sockets (unit tests: use `mux` directly). */
  constructor(private readonly server: Server | undefined, readonly hostPort: number, readonly guestPort: number,
    opts: { window?: number; pauseAbove?: number; guestMac?: Uint8Array; clients?: GatewayClients } = {}) {
    this.guestMac = (opts.guestMac ?? guestMac(0)).slice(0, 6);
    const sockets = this.sockets;
    const blocked = new Set<number>();
    const clients: GatewayClients = opts.clients ?? {
      write: (conn, bytes) => {
        const s = sockets.get(conn);
        if (s === undefined || !s.writable) return; // reset by the client: its 'close' is on the way
        // A full socket buffer holds the connection's requests back until the client reads.
        if (!s.write(bytes) && !blocked.has(conn)) {
          blocked.add(conn);
          this.mux.clientBlocked(conn, true);
          s.once('drain', () => {
            blocked.delete(conn);
            this.mux.clientBlocked(conn, false);
          });
        }
      },
      end: (conn) => { sockets.get(conn)?.end(); },
      pause: (conn) => { sockets.get(conn)?.pause(); },
      resume: (conn) => { sockets.get(conn)?.resume(); },
    };
    this.mux = new GatewayMux({ toGuest: (d) => this.deliver(d), clients, window: opts.window, pauseAbove: opts.pauseAbove });
    this.mux.onHello = () => {
      if (this.mux.stats.hellos === 1) this.onReady?.();
    };
    // The mux keeps counting into its own object; the frame counters join it, so `stats` is live.
    const frameStats: GatewayFrameStats = {
      framesToGuest: 0, arpReplies: 0, malformedFrames: 0, ignoredFrames: 0, socketErrors: 0, lastDrop: undefined,
    };
    this.stats = Object.assign(this.mux.stats, frameStats);
    server?.on('connection', (s) => this.accept(s));
  }

  /** Listens on host:hostPort; rejects with a one-line error when the port is taken or invalid. */
  static open(opts: GatewayOptions): Promise<GatewayBackend> {
    const host = opts.host ?? '127.0.0.1';
    for (const [what, p, min] of [['host port', opts.hostPort, 0], ['guest port', opts.guestPort, 1]] as const) {
      if (!Number.isInteger(p) || p < min || p > 65535) return Promise.reject(new Error(`net gateway: bad ${what} ${p}`));
    }
    if (opts.window !== undefined && (!Number.isInteger(opts.window) || opts.window < 1)) {
      return Promise.reject(new Error(`net gateway: bad window ${opts.window}`));
    }
    return new Promise((resolve, reject) => {
      // allowHalfOpen: a client that sends its requests and then FIN (`printf 'PING\r\n' | nc`)
      // still gets its replies; its side ends once the server consumed our CLOSE.
      const server = createServer({ allowHalfOpen: true });
      server.once('error', (e) => reject(new Error(`net gateway: cannot listen on ${host}:${opts.hostPort}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      server.listen(opts.hostPort, host, () => {
        server.removeAllListeners('error');
        const b = new GatewayBackend(server, (server.address() as { port: number }).port, opts.guestPort, opts);
        server.on('error', () => { b.stats.socketErrors++; });
        resolve(b);
      });
    });
  }

  /** The VMM tells the backend the MAC of the device it is attached to. */
  attachedMac(mac: Uint8Array): void {
    this.guestMac = mac.slice(0, 6);
  }

  private accept(s: Socket): void {
    const conn = this.closed ? 0 : this.mux.open();
    if (conn === 0) {
      s.destroy();
      return;
    }
    this.sockets.set(conn, s);
    s.setNoDelay(true); // request/response traffic: no Nagle delay on replies
    s.on('data', (b: Buffer) => this.mux.fromClient(conn, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    s.on('end', () => this.mux.clientEnd(conn));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!QUIET_ERRORS.has(e.code ?? '')) this.stats.socketErrors++;
    });
    s.on('close', () => {
      this.sockets.delete(conn);
      this.mux.clientGone(conn);
    });
  }

  /** A datagram from the mux: one UDP frame from 10.0.2.2:guestPort to 10.0.2.15:guestPort (docs/gateway.md). */
  private deliver(payload: Uint8Array): void {
    if (this.closed) return;
    const frame = buildUdpFrame({
      srcMac: NET_GATEWAY_MAC, dstMac: this.guestMac, srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP,
      srcPort: this.guestPort, dstPort: this.guestPort, payload,
    }, this.ipId++);
    this.stats.framesToGuest++;
    this.onReceive?.(frame);
  }

  /** A frame from the guest. */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    const g = readGuestFrame(frame, (mac) => { this.guestMac = mac; });
    switch (g.kind) {
      case 'drop':
        if (g.malformed) this.stats.malformedFrames++;
        else this.stats.ignoredFrames++;
        this.stats.lastDrop = g.why;
        return;
      case 'arp-reply':
        this.stats.arpReplies++;
        this.stats.framesToGuest++;
        this.onReceive?.(g.frame);
        return;
      case 'udp':
        if (g.d.dstPort !== this.guestPort) return this.drop(`UDP to port ${g.d.dstPort}, not the gateway's ${this.guestPort}`);
        this.mux.fromGuest(g.d.payload);
        return;
    }
  }

  private drop(why: string): void {
    this.stats.ignoredFrames++;
    this.stats.lastDrop = why;
  }

  /**
   * Ctrl-C: stop listening, CLOSE every connection and send SHUTDOWN to the server (once the
   * window lets it), and end the client streams. The VM keeps running until the server exits.
   */
  shutdown(): void {
    if (this.closed) return;
    this.server?.close();
    this.mux.shutdown();
    for (const s of this.sockets.values()) {
      s.end();
      s.resume(); // a paused client's later bytes are read and dropped, so its socket can close
    }
  }

  /** After the VM stopped: destroys every socket and the listener; nothing more reaches the guest. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.close();
    for (const s of this.sockets.values()) s.destroy();
    this.sockets.clear();
  }
}
