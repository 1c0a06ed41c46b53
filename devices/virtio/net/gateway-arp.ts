/**
 * The host-side gateway's half of ARP (docs/network.md): 10.0.2.2 is at slirp's MAC. Shared by
 * the user-mode UDP network and the TCP gateway, which both play the gateway to one guest.
 */
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, ipString, type ArpPacket } from './frames.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC } from '../../../vmm/platform.js';

/** The reply frame to an ARP packet from the guest, or why there is none. */
export function answerGatewayArp(a: ArpPacket): Uint8Array | string {
  if (a.op !== ARP_REQUEST || a.targetIp !== NET_GATEWAY_IP) return `ARP op ${a.op} for ${ipString(a.targetIp)}`;
  return buildArpFrame(a.senderMac, NET_GATEWAY_MAC, {
    op: ARP_REPLY, senderMac: NET_GATEWAY_MAC, senderIp: NET_GATEWAY_IP, targetMac: a.senderMac, targetIp: a.senderIp,
  });
}
