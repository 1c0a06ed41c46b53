/**
 * The web server guest with its gateway driven in-process, without sockets (GatewayBackend's
 * mux): clients are callbacks on the virtual clock, so a run is deterministic. Used by the
 * tests (tests/web/) and by the web experiment's workload driver.
 */
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { GatewayBackend } from '../../devices/virtio/net/gateway/backend.js';
import type { CostProfile } from '../../vmm/profile.js';
import type { Placement, Transport } from '../build.js';
import type { IommuMode } from '../db-machine.js';
import { readSite } from './site.js';
import { WEB_PORT, webMachine, type WebMachine } from './web-machine.js';

export interface InProcessClient {
  /** Bytes the server sent on the connection so far. */
  got: Buffer[];
  /** The server closed the connection. */
  ended: boolean;
}

export interface InProcessWeb {
  web: WebMachine;
  gw: GatewayBackend;
  /** Opens a connection (once the server said HELLO). */
  connect(): number;
  send(conn: number, bytes: Uint8Array | string): void;
  /** The client goes away (its TCP connection closes). */
  gone(conn: number): void;
  client(conn: number): InProcessClient;
  /** Runs `fn` `ms` milliseconds of virtual time from now. */
  later(ms: number, fn: () => void): void;
  /** Calls `fn` once the server is listening. */
  onReady(fn: () => void): void;
}

export interface InProcessOptions {
  placement: Placement;
  /** The VAMOS placement's transport (default 'vmcall'). */
  transport?: Transport;
  site: Uint8Array;
  cachePages: number;
  profile: CostProfile;
  iommu?: IommuMode;
  maxInstructions?: number;
  /** Every byte the server sends, as it arrives; when given, clients keep nothing in `got`. */
  onData?: (conn: number, bytes: Uint8Array) => void;
}

export function inProcessWeb(opts: InProcessOptions): InProcessWeb {
  const clients = new Map<number, InProcessClient>();
  const client = (c: number): InProcessClient => clients.get(c) ?? clients.set(c, { got: [], ended: false }).get(c)!;
  const gw = new GatewayBackend(undefined, 0, WEB_PORT, {
    clients: {
      write: (c, b) => {
        if (opts.onData) { opts.onData(c, b); return; }
        client(c).got.push(Buffer.from(b));
      },
      end: (c) => { client(c).ended = true; },
      pause: () => {},
      resume: () => {},
    },
  });
  const web = webMachine({
    placement: opts.placement, transport: opts.transport, iommu: opts.iommu ?? 'off', profile: opts.profile, cachePages: opts.cachePages,
    site: new MemoryBackend(opts.site.length / 512, true, opts.site), siteEntries: readSite(opts.site).length, net: gw,
    maxInstructions: opts.maxInstructions ?? 4_000_000_000,
  });
  const vm = web.machine.vm;
  return {
    web, gw,
    connect: () => gw.mux.open(),
    send: (c, b) => gw.mux.fromClient(c, typeof b === 'string' ? Buffer.from(b, 'latin1') : b),
    gone: (c) => gw.mux.clientGone(c),
    client,
    later: (ms, fn) => { vm.clock.schedule(vm.clock.now + (ms * opts.profile.cpuHz) / 1e3, fn); },
    onReady: (fn) => { gw.onReady = fn; },
  };
}
