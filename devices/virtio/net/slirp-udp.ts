/**
 * A user-mode network for one guest, like QEMU's slirp with a UDP host forward
 * (`hostfwd=udp:127.0.0.1:HOSTPORT-:GUESTPORT`), docs/network.md. The backend binds
 * 127.0.0.1:HOSTPORT; every datagram a host program sends there reaches the guest
 * (10.0.2.15:GUESTPORT) as a UDP frame from the gateway 10.0.2.2, whose source port is the host
 * sender's port; a UDP frame the guest sends to 10.0.2.2:P leaves the bound socket as a datagram
 * to 127.0.0.1:P. So a host client that sent from port P gets the guest's reply from HOSTPORT.
 * ARP requests for the gateway are answered. Anything else from the guest is counted and
 * dropped: a bad frame never throws into the device.
 *
 * Datagrams arrive on Node's event loop, so a run with this backend is not deterministic; the
 * VMM runs it with vm.runAsync() (docs/platform.md).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { NetBackend } from './backend.js';
import { readGuestFrame } from './gateway-host.js';
import { MAX_UDP_PAYLOAD, buildUdpFrame } from './frames.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP, guestMac } from '../../../vmm/platform.js';

export interface SlirpUdpOptions {
  /** 127.0.0.1 port host programs send to (0: any free port, see `hostPort`). */
  hostPort: number;
  /** The guest's UDP port datagrams are delivered to. */
  guestPort: number;
  /** Until the guest sends a frame of its own (default: the MAC the VMM gives net device 0). */
  guestMac?: Uint8Array;
}

export interface SlirpStats {
  /** Host datagrams delivered to the guest as frames. */
  toGuest: number;
  /** Guest datagrams sent to host ports. */
  toHost: number;
  arpReplies: number;
  /** Host datagrams above the MTU (IPv4 fragmentation is not done). */
  tooBig: number;
  /** Guest frames that are not well-formed Ethernet/ARP/IPv4/UDP. */
  malformed: number;
  /** Well-formed guest frames the network does not carry (other protocols, other hosts, ARP for others). */
  ignored: number;
  /** Datagrams the host socket refused. */
  sendErrors: number;
  /** The last malformed or ignored frame's reason. */
  lastDrop: string | undefined;
}

export class SlirpUdpBackend implements NetBackend {
  onReceive: ((frame: Uint8Array) => void) | undefined;
  readonly stats: SlirpStats = {
    toGuest: 0, toHost: 0, arpReplies: 0, tooBig: 0, malformed: 0, ignored: 0, sendErrors: 0, lastDrop: undefined,
  };
  /** Where frames for the guest go: learned from the guest's own frames. */
  guestMac: Uint8Array;
  private ipId = 0;
  private closed = false;
  /** Datagrams handed to the socket and not yet sent: close() waits for them. */
  private pending = 0;

  /** `socket` may be undefined for a backend that only frames (unit tests). */
  constructor(private readonly socket: Socket | undefined, readonly hostPort: number, readonly guestPort: number, mac?: Uint8Array) {
    this.guestMac = (mac ?? guestMac(0)).slice(0, 6);
    socket?.on('message', (msg, rinfo) => this.fromHost(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo.port));
  }

  /** Binds 127.0.0.1:hostPort; rejects with a one-line error when the port is taken or invalid. */
  static open(opts: SlirpUdpOptions): Promise<SlirpUdpBackend> {
    for (const [what, p, min] of [['host port', opts.hostPort, 0], ['guest port', opts.guestPort, 1]] as const) {
      if (!Number.isInteger(p) || p < min || p > 65535) return Promise.reject(new Error(`net udp: bad ${what} ${p}`));
    }
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', (e) => reject(new Error(`net udp: cannot bind 127.0.0.1:${opts.hostPort}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      s.bind(opts.hostPort, '127.0.0.1', () => {
        s.removeAllListeners('error');
        s.on('error', () => { /* per-send errors are counted in the send callback */ });
        resolve(new SlirpUdpBackend(s, s.address().port, opts.guestPort, opts.guestMac));
      });
    });
  }

  /** The VMM tells the backend the MAC of the device it is attached to. */
  attachedMac(mac: Uint8Array): void {
    this.guestMac = mac.slice(0, 6);
  }

  /** A datagram from a host program at 127.0.0.1:`srcPort`: a frame from the gateway to the guest. */
  fromHost(payload: Uint8Array, srcPort: number): void {
    if (this.closed) return;
    if (payload.length > MAX_UDP_PAYLOAD) {
      this.stats.tooBig++;
      return;
    }
    const frame = buildUdpFrame({
      srcMac: NET_GATEWAY_MAC, dstMac: this.guestMac, srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP,
      srcPort, dstPort: this.guestPort, payload,
    }, this.ipId++);
    this.stats.toGuest++;
    this.onReceive?.(frame);
  }

  /** A frame from the guest. */
  send(frame: Uint8Array): void {
    const g = readGuestFrame(frame, (mac) => { this.guestMac = mac; });
    switch (g.kind) {
      case 'drop':
        if (g.malformed) this.stats.malformed++;
        else this.stats.ignored++;
        this.stats.lastDrop = g.why;
        return;
      case 'arp-reply':
        this.stats.arpReplies++;
        this.onReceive?.(g.frame);
        return;
      case 'udp': {
        const d = g.d;
        if (d.dstPort === 0) return this.drop('UDP to port 0');
        if (this.socket === undefined || this.closed) return;
        this.stats.toHost++;
        this.pending++;
        this.socket.send(d.payload, d.dstPort, '127.0.0.1', (err) => {
          if (err) this.stats.sendErrors++;
          if (--this.pending === 0 && this.closed) this.socket?.close();
        });
        return;
      }
    }
  }

  private drop(why: string): void {
    this.stats.ignored++;
    this.stats.lastDrop = why;
  }

  /**
   * Stops delivering to the guest and closes the socket once the datagrams already sent are out:
   * Node sends asynchronously, and a guest's last reply (sent just before it powered off) must
   * not be lost to an immediate close.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending === 0) this.socket?.close();
  }
}
