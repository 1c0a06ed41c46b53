/**
 * The gateway's core (docs/gateway.md), free of sockets and frames so a test can drive every
 * step by hand: it numbers client connections, queues each one's bytes for the guest server,
 * cuts them into DATA datagrams of at most GW_MAX_PAYLOAD bytes (coalescing what waits, so a
 * stream of small TCP reads still fills datagrams), keeps at most `window` datagrams sent and not
 * acknowledged across all connections, and turns the server's datagrams back into client writes.
 *
 * Order of a connection's datagrams: OPEN (seq 0), its DATA, then CLOSE; the window counts them
 * all. Connections take turns one datagram at a time (round-robin), so a connection with a
 * megabyte queued cannot starve one with a short request. Nothing from the guest can throw:
 * a malformed datagram, an ack out of range or a datagram for a connection the mux does not
 * know is counted and otherwise ignored.
 *
 * Everything happens synchronously inside the call that caused it. The callbacks may call back
 * into the mux (an ack from a synchronous server, a client writing from its write handler): a
 * call made while the mux is busy queues its work and the outer call finishes it, in order.
 */
import { GW_MAX_PAYLOAD, GW_WINDOW, GwType, decodeGw, encodeGw, type GwDatagram } from './proto.js';

/** Where the mux's output goes: one client per connection, addressed by its number. */
export interface GatewayClients {
  /** Bytes from the server for the client, in order. */
  write(conn: number, bytes: Uint8Array): void;
  /** No more bytes for the client: end its stream (after what was written). Called at most once. */
  end(conn: number): void;
  /** The connection has too much waiting for the guest: stop reading from the client. */
  pause(conn: number): void;
  /** Its queue drained: read again. */
  resume(conn: number): void;
}

export interface GatewayMuxOptions {
  /** A datagram for the guest server (header and payload). */
  toGuest(datagram: Uint8Array): void;
  clients: GatewayClients;
  /** Datagrams sent and not acknowledged, all connections together (default GW_WINDOW). */
  window?: number;
  /** Wait for the server's HELLO before sending anything (default true; false: it is known to be up). */
  awaitHello?: boolean;
  /** Bytes waiting for the guest above which a connection is paused (default 64 KiB); it resumes at half. */
  pauseAbove?: number;
}

export interface GatewayMuxStats {
  connectionsOpened: number;
  /** Connections forgotten: closed by either side and every datagram acknowledged. */
  connectionsClosed: number;
  /** CLOSEs queued for the server because the client ended or went away (or shutdown()). */
  clientCloses: number;
  /** CLOSEs received from the server for a connection it had open. */
  serverCloses: number;
  /** Bytes clients sent that the mux took to carry (see droppedFromClient for the rest). */
  bytesFromClients: number;
  datagramsToGuest: number;
  /** Payload bytes sent to the guest (DATA only). */
  bytesToGuest: number;
  datagramsFromGuest: number;
  /** Payload bytes written to clients. */
  bytesToClients: number;
  /** ACK datagrams received (every server datagram also acknowledges; these carry nothing else). */
  acks: number;
  /** HELLO datagrams: the server announcing it is up. */
  hellos: number;
  /** Times the window filled while datagrams were waiting. */
  windowStalls: number;
  malformed: number;
  /** Server datagrams for a connection the mux does not know (never opened, or forgotten). */
  unknownConn: number;
  /** Acknowledgements beyond what was sent on their connection (ignored). */
  badAcks: number;
  pauses: number;
  resumes: number;
  /** Times a client's write buffer filled and its requests were held back (clientBlocked). */
  blocks: number;
  /** Server bytes for a client that is gone, or after the server closed the connection. */
  droppedToClient: number;
  /** Client bytes after the server closed the connection, after the client ended, or after shutdown. */
  droppedFromClient: number;
  lastMalformed: string | undefined;
}

interface Conn {
  readonly id: number;
  /** Datagrams sent on this connection: the next one's seq. */
  sent: number;
  /** The highest acknowledgement, never above `sent`. */
  acked: number;
  openPending: boolean;
  chunks: Uint8Array[];
  /** Bytes of chunks[0] already sent. */
  head: number;
  queued: number;
  closePending: boolean;
  closeSent: boolean;
  /** 'ended': the client half-closed and still reads replies until our CLOSE is acknowledged. */
  client: 'open' | 'ended' | 'gone';
  serverClosed: boolean;
  endCalled: boolean;
  paused: boolean;
  /** The client is not taking what is written (its socket buffer is full): send it no more requests. */
  blocked: boolean;
  inReady: boolean;
}

export class GatewayMux {
  readonly stats: GatewayMuxStats = {
    connectionsOpened: 0, connectionsClosed: 0, clientCloses: 0, serverCloses: 0, bytesFromClients: 0, datagramsToGuest: 0, bytesToGuest: 0,
    datagramsFromGuest: 0, bytesToClients: 0, acks: 0, hellos: 0, windowStalls: 0, malformed: 0, unknownConn: 0, badAcks: 0,
    pauses: 0, resumes: 0, blocks: 0, droppedToClient: 0, droppedFromClient: 0, lastMalformed: undefined,
  };
  readonly window: number;
  readonly pauseAbove: number;
  private readonly toGuest: (d: Uint8Array) => void;
  private readonly clients: GatewayClients;
  private readonly conns = new Map<number, Conn>();
  /** Connections with a datagram to send, in turn order. */
  private ready: number[] = [];
  private nextId = 1;
  private inFlightCount = 0;
  private shutdownState: 'none' | 'pending' | 'sent' | 'acked' = 'none';
  private stalled = false;
  /** Nothing goes to the guest before the server's HELLO (docs/gateway.md: it would hold a slot forever). */
  private helloSeen: boolean;
  /** Guest datagrams not yet processed (they arrived while the mux was busy). */
  private inbox: Uint8Array[] = [];
  private busy = false;
  private again = false;

  constructor(opts: GatewayMuxOptions) {
    this.toGuest = opts.toGuest;
    this.clients = opts.clients;
    this.window = opts.window ?? GW_WINDOW;
    this.pauseAbove = opts.pauseAbove ?? 64 * 1024;
    this.helloSeen = opts.awaitHello === false;
    if (!Number.isInteger(this.window) || this.window < 1) throw new RangeError(`gateway window ${this.window}; at least 1`);
  }

  /** Datagrams sent to the guest and not acknowledged. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Connections the mux still keeps (open, or closing with datagrams unacknowledged). */
  get connections(): number {
    return this.conns.size;
  }

  get shuttingDown(): boolean {
    return this.shutdownState !== 'none';
  }

  /** True once SHUTDOWN was sent; `shutdownAcked` once the server acknowledged it (conn 0, seq 1). */
  get shutdownSent(): boolean {
    return this.shutdownState === 'sent' || this.shutdownState === 'acked';
  }

  get shutdownAcked(): boolean {
    return this.shutdownState === 'acked';
  }

  /** The server said HELLO (conn 0): it is up. Called for each HELLO. */
  onHello: (() => void) | undefined;

  /** Bytes of `conn` waiting for the guest. */
  waiting(conn: number): number {
    return this.conns.get(conn)?.queued ?? 0;
  }

  /** Whether `conn` has a datagram waiting for the window (not held back by `clientBlocked`). */
  hasPending(conn: number): boolean {
    const c = this.conns.get(conn);
    return c !== undefined && pending(c) && !c.blocked;
  }

  /**
   * The client's write buffer is full (true) or drained (false). While blocked, the connection
   * sends the server nothing more, so the server makes no more replies for it: a client that
   * pipelines without reading cannot make the gateway buffer without bound. The other
   * connections go on.
   */
  clientBlocked(conn: number, blocked: boolean): void {
    const c = this.conns.get(conn);
    if (c === undefined || c.blocked === blocked) return;
    c.blocked = blocked;
    if (blocked) this.stats.blocks++;
    else {
      this.markReady(c);
      this.kick();
    }
  }

  /** A client connected: its number, or 0 after shutdown() (refuse the client). */
  open(): number {
    if (this.shuttingDown) return 0;
    const c: Conn = {
      id: this.nextId++, sent: 0, acked: 0, openPending: true, chunks: [], head: 0, queued: 0, closePending: false,
      closeSent: false, client: 'open', serverClosed: false, endCalled: false, paused: false, blocked: false, inReady: false,
    };
    this.conns.set(c.id, c);
    this.stats.connectionsOpened++;
    this.markReady(c);
    this.kick();
    return c.id;
  }

  /** Bytes the client sent. */
  fromClient(conn: number, bytes: Uint8Array): void {
    const c = this.conns.get(conn);
    if (c === undefined || c.client !== 'open' || c.serverClosed) {
      this.stats.droppedFromClient += bytes.length;
      return;
    }
    if (bytes.length === 0) return;
    c.chunks.push(bytes);
    c.queued += bytes.length;
    this.stats.bytesFromClients += bytes.length;
    this.markReady(c);
    if (!c.paused && c.queued > this.pauseAbove) {
      // Before kick(): sending may drain the queue at once, and its resume must come after this pause.
      c.paused = true;
      this.stats.pauses++;
      this.clients.pause(conn);
    }
    this.kick();
  }

  /** The client half-closed (sent FIN): CLOSE after its bytes; it gets replies until the CLOSE is acknowledged. */
  clientEnd(conn: number): void {
    const c = this.conns.get(conn);
    if (c === undefined || c.client !== 'open') return;
    c.client = 'ended';
    this.queueClose(c);
    this.kick();
  }

  /** The client is gone (its socket closed or failed): CLOSE after its bytes; nothing more is written to it. */
  clientGone(conn: number): void {
    const c = this.conns.get(conn);
    if (c === undefined || c.client === 'gone') return;
    c.client = 'gone';
    c.blocked = false; // nobody reads any more: its CLOSE must not wait
    this.queueClose(c);
    this.kick();
  }

  /**
   * The operator stops the server: every connection is treated as gone (CLOSE after what it
   * queued), then one SHUTDOWN (conn 0, seq 0) goes once every connection's datagrams are sent.
   * New clients are refused. The caller ends the client streams.
   */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shutdownState = 'pending';
    for (const c of this.conns.values()) {
      c.client = 'gone';
      c.blocked = false;
      this.queueClose(c);
    }
    this.kick();
  }

  /** A datagram from the guest server (the UDP payload). Never throws for anything in it. */
  fromGuest(datagram: Uint8Array): void {
    this.inbox.push(datagram);
    this.kick();
  }

  private queueClose(c: Conn): void {
    if (!c.serverClosed && !c.closePending && !c.closeSent) {
      c.closePending = true;
      this.stats.clientCloses++;
    }
    this.markReady(c); // also when its CLOSE was already queued: it may just have been unblocked
    this.maybeForget(c);
  }

  private markReady(c: Conn): void {
    if (!c.inReady && pending(c) && !c.blocked) {
      c.inReady = true;
      this.ready.push(c.id);
    }
  }

  /** Runs queued work to completion unless an outer call is already doing it. */
  private kick(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        while (this.inbox.length > 0) this.receive(this.inbox.shift()!);
        this.pump();
      } while (this.again || this.inbox.length > 0);
    } finally {
      this.busy = false;
    }
  }

  /** Sends datagrams while the window has room, one per connection in turn. */
  private pump(): void {
    if (!this.helloSeen) return;
    while (this.inFlightCount < this.window) {
      const c = this.nextReady();
      if (c === undefined) {
        if (this.shutdownState !== 'pending') break;
        this.shutdownState = 'sent';
        this.send({ type: GwType.shutdown, conn: 0, seq: 0, payload: new Uint8Array(0) });
        break;
      }
      this.sendOne(c);
      if (this.inbox.length > 0) return; // acks (and replies) first: kick() comes back here
    }
    const waiting = this.ready.some((id) => this.hasPending(id)) || this.shutdownState === 'pending';
    if (waiting && this.inFlightCount >= this.window && !this.stalled) {
      this.stalled = true;
      this.stats.windowStalls++;
    }
  }

  private nextReady(): Conn | undefined {
    while (this.ready.length > 0) {
      const c = this.conns.get(this.ready.shift()!);
      if (c === undefined) continue;
      c.inReady = false;
      if (pending(c) && !c.blocked) return c; // a blocked one rejoins the turns when it unblocks
    }
    return undefined;
  }

  private sendOne(c: Conn): void {
    let type: number;
    let payload: Uint8Array = EMPTY;
    if (c.openPending) {
      type = GwType.open;
      c.openPending = false;
    } else if (c.queued > 0) {
      type = GwType.data;
      payload = this.take(c, Math.min(c.queued, GW_MAX_PAYLOAD));
    } else {
      type = GwType.close;
      c.closePending = false;
      c.closeSent = true;
    }
    const seq = c.sent++;
    this.markReady(c); // to the back of the turn order
    const resume = c.paused && c.queued <= this.pauseAbove / 2 && !c.serverClosed;
    if (resume) {
      // Before send(): what it sets off may queue more and pause again, which must come after.
      c.paused = false;
      this.stats.resumes++;
      this.clients.resume(c.id);
    }
    this.stats.bytesToGuest += payload.length;
    this.send({ type, conn: c.id, seq, payload });
  }

  private send(d: GwDatagram): void {
    this.inFlightCount++;
    this.stalled = false;
    this.stats.datagramsToGuest++;
    this.toGuest(encodeGw(d));
  }

  /** The next `n` queued bytes of `c` (n <= c.queued), as one array. */
  private take(c: Conn, n: number): Uint8Array {
    const first = c.chunks[0]!;
    let out: Uint8Array;
    if (first.length - c.head >= n) {
      out = first.subarray(c.head, c.head + n);
      c.head += n;
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const ch = c.chunks[0]!;
        const k = Math.min(n - o, ch.length - c.head);
        out.set(ch.subarray(c.head, c.head + k), o);
        o += k;
        c.head += k;
        if (c.head === ch.length) {
          c.chunks.shift();
          c.head = 0;
        }
      }
    }
    if (c.chunks.length > 0 && c.head === c.chunks[0]!.length) {
      c.chunks.shift();
      c.head = 0;
    }
    c.queued -= n;
    return out;
  }

  private receive(b: Uint8Array): void {
    this.stats.datagramsFromGuest++;
    const d = decodeGw(b);
    if (typeof d === 'string') return this.malformed(d);
    if (d.type === GwType.hello) {
      this.stats.hellos++;
      this.helloSeen = true;
      this.onHello?.();
      return; // kick() goes on to pump what waited for it
    }
    if (d.type !== GwType.data && d.type !== GwType.close && d.type !== GwType.ack) {
      return this.malformed(`type ${d.type} from the server`);
    }
    if (d.type === GwType.ack) this.stats.acks++;
    if (d.conn === 0 && this.shutdownSent) {
      // The acknowledgement of SHUTDOWN; anything else on conn 0 carries nothing.
      if (this.shutdownState === 'sent' && d.seq >= 1) {
        if (d.seq > 1) this.stats.badAcks++;
        this.shutdownState = 'acked';
        this.inFlightCount--;
      }
      return;
    }
    const c = this.conns.get(d.conn);
    if (c === undefined) {
      this.stats.unknownConn++;
      return;
    }
    if (d.seq > c.sent) this.stats.badAcks++;
    else if (d.seq > c.acked) {
      this.inFlightCount -= d.seq - c.acked;
      c.acked = d.seq;
    }
    if (d.type === GwType.data && d.payload.length > 0) {
      if (c.client === 'gone' || c.serverClosed) this.stats.droppedToClient += d.payload.length;
      else {
        this.stats.bytesToClients += d.payload.length;
        this.clients.write(c.id, d.payload);
      }
    } else if (d.type === GwType.close && !c.serverClosed) {
      this.serverClose(c);
    }
    this.maybeForget(c);
  }

  /** The server closed `c`: what the client still queued is dropped, the client's stream ends. */
  private serverClose(c: Conn): void {
    c.serverClosed = true;
    this.stats.serverCloses++;
    this.stats.droppedFromClient += c.queued;
    c.chunks = [];
    c.head = 0;
    c.queued = 0;
    c.openPending = false;
    c.closePending = false;
    const resume = c.paused;
    c.paused = false;
    if (c.client !== 'gone') this.endClient(c);
    // Let the socket drain (what it reads is dropped) so the client sees the end and closes.
    if (resume && c.client !== 'gone') this.clients.resume(c.id);
  }

  private endClient(c: Conn): void {
    if (c.endCalled) return;
    c.endCalled = true;
    this.clients.end(c.id);
  }

  /** Forgets `c` once both sides are done with it and all its datagrams are acknowledged. */
  private maybeForget(c: Conn): void {
    if (pending(c) || c.acked !== c.sent || !this.conns.has(c.id)) return;
    const done = c.serverClosed || c.closeSent;
    if (!done) return;
    this.conns.delete(c.id);
    this.stats.connectionsClosed++;
    // A half-closed client has all its replies now: the server consumed the CLOSE after them.
    if (c.client === 'ended') this.endClient(c);
  }

  private malformed(why: string): void {
    this.stats.malformed++;
    this.stats.lastMalformed = why;
  }
}

const EMPTY = new Uint8Array(0);

function pending(c: Conn): boolean {
  return c.openPending || c.queued > 0 || c.closePending;
}
