/**
 * Where virtio-net frames go and come from. A backend carries bare Ethernet frames (no virtio
 * header). `onReceive` is set by the device; the backend calls it for each arriving frame.
 */
export interface NetBackend {
  send(frame: Uint8Array): void;
  onReceive: ((frame: Uint8Array) => void) | undefined;
  close?(): void;
}

/**
 * One end of an in-process link. Delivery is synchronous and in order, so a pair of devices
 * (or a device and a workload driver holding the other end) stays deterministic: a frame
 * arrives in the same virtual instant the sender's transmit completes.
 */
export class PeerEndpoint implements NetBackend {
  onReceive: ((frame: Uint8Array) => void) | undefined;
  sent = 0;
  received = 0;
  /** Frames that arrived while nobody listened on this end. */
  dropped = 0;
  peer: PeerEndpoint | undefined;

  send(frame: Uint8Array): void {
    this.sent++;
    this.peer?.deliver(frame.slice());
  }

  private deliver(frame: Uint8Array): void {
    if (this.onReceive === undefined) {
      this.dropped++;
      return;
    }
    this.received++;
    this.onReceive(frame);
  }
}

/** Two endpoints joined: what is sent on one arrives on the other. */
export function peerPair(): [PeerEndpoint, PeerEndpoint] {
  const a = new PeerEndpoint();
  const b = new PeerEndpoint();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
