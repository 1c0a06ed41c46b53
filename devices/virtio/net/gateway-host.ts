/**
 * The host side's gateway, 10.0.2.2, as it reads a frame from the guest (docs/network.md):
 * ARP for 10.0.2.2 is answered with slirp's MAC, UDP to 10.0.2.2 is for the backend to carry,
 * and everything else is dropped with a reason. The guest's MAC is learned from its own frames.
 * Shared by the user-mode UDP network and the TCP gateway, which both play this gateway.
 */
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, ipString, parseFrame, type ArpPacket, type UdpDatagram } from './frames.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP } from '../../../vmm/platform.js';

export type GatewayFrame =
  /** Not well-formed Ethernet/ARP/IPv4/UDP (malformed), or well-formed but not carried. */
  | { kind: 'drop'; malformed: boolean; why: string }
  /** An ARP reply for the guest: deliver it. */
  | { kind: 'arp-reply'; frame: Uint8Array }
  /** UDP to the gateway: the backend's to carry (it checks the port). */
  | { kind: 'udp'; d: UdpDatagram };

/** What the gateway does with `frame`; `learnMac` hears the source MAC of the guest's frames. */
export function readGuestFrame(frame: Uint8Array, learnMac: (mac: Uint8Array) => void): GatewayFrame {
  const p = parseFrame(frame);
  switch (p.kind) {
    case 'malformed': return { kind: 'drop', malformed: true, why: p.why };
    case 'ignored': return { kind: 'drop', malformed: false, why: p.why };
    case 'arp': {
      if (p.a.senderIp === NET_GUEST_IP) learnMac(p.a.senderMac);
      const reply = answerGatewayArp(p.a);
      return typeof reply === 'string' ? { kind: 'drop', malformed: false, why: reply } : { kind: 'arp-reply', frame: reply };
    }
    case 'udp': {
      const d = p.d;
      if (d.srcIp === NET_GUEST_IP) learnMac(d.srcMac);
      if (d.dstIp !== NET_GATEWAY_IP) return { kind: 'drop', malformed: false, why: `UDP to ${ipString(d.dstIp)}, not the gateway` };
      return { kind: 'udp', d };
    }
  }
}

/** The reply frame to an ARP packet from the guest, or why there is none. */
function answerGatewayArp(a: ArpPacket): Uint8Array | string {
  if (a.op !== ARP_REQUEST || a.targetIp !== NET_GATEWAY_IP) return `ARP op ${a.op} for ${ipString(a.targetIp)}`;
  return buildArpFrame(a.senderMac, NET_GATEWAY_MAC, {
    op: ARP_REPLY, senderMac: NET_GATEWAY_MAC, senderIp: NET_GATEWAY_IP, targetMac: a.senderMac, targetIp: a.senderIp,
  });
}
