/**
 * Frames as UDP datagrams on 127.0.0.1, one frame per datagram, to connect a guest to a host
 * program or to a second vamos process. Arrival is driven by Node's event loop, not by virtual
 * time, so a run that uses it is not deterministic; deterministic runs (tests, `vamos bench`)
 * use the in-process peer instead, and the VMM only sees UDP frames between its run slices.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { NetBackend } from './backend.js';

/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM = 65507;

export class UdpBackend implements NetBackend {
  onReceive: ((frame: Uint8Array) => void) | undefined;
  sent = 0;
  received = 0;
  /** Frames too big for one datagram or refused by the socket. */
  sendErrors = 0;

  private constructor(private readonly socket: Socket, readonly port: number, public remotePort: number) {
    socket.on('message', (msg) => {
      this.received++;
      this.onReceive?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength).slice());
    });
  }

  /** Binds 127.0.0.1:`localPort` (0 = any free port) and sends to 127.0.0.1:`remotePort`. */
  static open(opts: { localPort?: number; remotePort: number }): Promise<UdpBackend> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', (e) => reject(new Error(`net udp: cannot bind 127.0.0.1:${opts.localPort ?? 0}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      s.bind(opts.localPort ?? 0, '127.0.0.1', () => {
        s.removeAllListeners('error');
        s.on('error', () => {}); // per-send errors are counted in the send callback
        resolve(new UdpBackend(s, s.address().port, opts.remotePort));
      });
    });
  }

  /** Points this backend at another port (e.g. once the peer's port is known). */
  connectTo(remotePort: number): void {
    this.remotePort = remotePort;
  }

  send(frame: Uint8Array): void {
    if (frame.length > MAX_DATAGRAM) {
      this.sendErrors++;
      return;
    }
    this.sent++;
    this.socket.send(frame, this.remotePort, '127.0.0.1', (err) => {
      if (err) this.sendErrors++;
    });
  }

  close(): void {
    this.socket.close();
  }
}
