/**
 * A host on the guest's network, inside the VMM: the far end of an in-process link
 * (PeerEndpoint) that answers ARP and speaks UDP at 10.0.2.2, the gateway address of
 * docs/network.md. Deterministic, like the link: what it sends arrives in the same virtual
 * instant, and it sees the guest's frames as the guest's transmit completes. The workload
 * driver and the benchmarks talk to guest servers through it.
 */
import { peerPair, type PeerEndpoint } from './backend.js';
import { ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, buildArpFrame, buildUdpFrame, parseFrame } from './frames.js';

export const GATEWAY_IP = 0x0a000202;
export const GUEST_IP = 0x0a00020f;
export const GATEWAY_MAC = new Uint8Array([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);

export interface VirtualHostCounters {
  framesIn: number;
  framesOut: number;
  arpAnswered: number;
  udpIn: number;
  /** Frames that were neither ARP for us nor UDP to us. */
  ignored: number;
}

export class VirtualHost {
  /** Give this to the VM as its net backend. */
  readonly guestSide: PeerEndpoint;
  private readonly link: PeerEndpoint;
  readonly counters: VirtualHostCounters = { framesIn: 0, framesOut: 0, arpAnswered: 0, udpIn: 0, ignored: 0 };
  /** The guest's MAC, learned from its frames (ARP or IP); broadcast until then. */
  guestMac: Uint8Array = BROADCAST_MAC;
  /** A UDP datagram from the guest to this host: (guest port, our port, payload). */
  onDatagram: ((fromPort: number, toPort: number, payload: Uint8Array) => void) | undefined;

  constructor(readonly ip = GATEWAY_IP, readonly mac = GATEWAY_MAC) {
    const [guestSide, link] = peerPair();
    this.guestSide = guestSide;
    this.link = link;
    link.onReceive = (f) => this.receive(f);
  }

  /** Sends a datagram to the guest (GUEST_IP) from our port to its port. */
  send(fromPort: number, toPort: number, payload: Uint8Array, toIp = GUEST_IP): void {
    this.counters.framesOut++;
    this.link.send(buildUdpFrame({ srcMac: this.mac, dstMac: this.guestMac, srcIp: this.ip, dstIp: toIp, srcPort: fromPort, dstPort: toPort, payload }));
  }

  private receive(f: Uint8Array): void {
    this.counters.framesIn++;
    const p = parseFrame(f);
    if (p.kind === 'arp') {
      const arp = p.a;
      if (arp.op === ARP_REQUEST && arp.targetIp === this.ip) {
        this.guestMac = arp.senderMac;
        this.counters.arpAnswered++;
        this.counters.framesOut++;
        this.link.send(buildArpFrame(arp.senderMac, this.mac, { op: ARP_REPLY, senderMac: this.mac, senderIp: this.ip, targetMac: arp.senderMac, targetIp: arp.senderIp }));
      } else {
        this.counters.ignored++;
      }
      return;
    }
    if (p.kind !== 'udp' || p.d.dstIp !== this.ip) {
      this.counters.ignored++;
      return;
    }
    const d = p.d;
    this.guestMac = d.srcMac;
    this.counters.udpIn++;
    this.onDatagram?.(d.srcPort, d.dstPort, d.payload);
  }
}
